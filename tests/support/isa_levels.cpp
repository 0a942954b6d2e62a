#include "support/isa_levels.h"

#include <catch2/catch.hpp>

namespace rnnc::testing {

std::vector<IsaLevel> isa_levels() {
  // x86-64-v3 is AVX2, FMA, BMI1/2, F16C, LZCNT, MOVBE; x86-64-v4 adds
  // AVX-512 F, BW, CD, DQ and VL. __builtin_cpu_supports asks CPUID (and
  // the OS's saved register state) at run time.
  return {
      {"SSE2", {"x86-64", ""}, 4, true},
      {"AVX2+FMA", {"x86-64-v3", ""}, 8, __builtin_cpu_supports("x86-64-v3") != 0},
      {"AVX-512", {"x86-64-v4", ""}, 16, __builtin_cpu_supports("x86-64-v4") != 0},
  };
}

IsaLevel isa_level(const std::string& name) {
  for (const IsaLevel& level : isa_levels()) {
    if (level.name == name) return level;
  }
  FAIL("no instruction-set level " << name);
  return {};
}

std::string isa_coverage() {
  std::string text;
  for (const IsaLevel& level : isa_levels()) {
    if (!text.empty()) text += ", ";
    text += level.name + (level.host_runs ? " (run)" : " (compiled only)");
  }
  return text;
}

}  // namespace rnnc::testing
