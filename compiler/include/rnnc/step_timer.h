// RNNC_TIME_PASSES=1: where a compile's time goes. Each step of the
// pipeline, and each LLVM pass (codegen/target.cpp), reports its wall time
// to stderr as `rnnc time: STEP N.NNN ms`; without the variable nothing is
// measured or printed.
#pragma once

#include <chrono>

namespace rnnc {

// Whether RNNC_TIME_PASSES is set to something other than 0 (read once).
bool timing_requested();

// Reports the time since it was made, or since the last lap, per step.
class StepTimer {
 public:
  StepTimer();
  void lap(const char* step);

 private:
  bool enabled_;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace rnnc
