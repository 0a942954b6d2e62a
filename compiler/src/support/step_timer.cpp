#include "rnnc/step_timer.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace rnnc {

bool timing_requested() {
  static const bool requested = [] {
    const char* value = std::getenv("RNNC_TIME_PASSES");
    return value && *value && std::strcmp(value, "0") != 0;
  }();
  return requested;
}

StepTimer::StepTimer() : enabled_(timing_requested()), last_(std::chrono::steady_clock::now()) {}

void StepTimer::lap(const char* step) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  std::fprintf(stderr, "rnnc time: %s %.3f ms\n", step, std::chrono::duration<double, std::milli>(now - last_).count());
  last_ = now;
}

}  // namespace rnnc
