// The instruction-set levels the suite checks kernels at, whatever host it
// runs on: each level the host can execute runs its kernels against the
// interpreter; a level it cannot is still compiled and its assembly checked.
#pragma once

#include <string>
#include <vector>

#include "rnnc/jit.h"

namespace rnnc::testing {

struct IsaLevel {
  std::string name;      // "SSE2", "AVX2+FMA", "AVX-512"
  TargetOptions target;  // an LLVM CPU of that level: x86-64, x86-64-v3, x86-64-v4
  int vector_width;      // floats per vector register the kernels must use
  bool host_runs;        // the host CPU has every feature of the level
};

// The three levels, from plain x86-64 up.
std::vector<IsaLevel> isa_levels();
IsaLevel isa_level(const std::string& name);

// "SSE2 (run), AVX2+FMA (run), AVX-512 (compiled only)": what a run covers.
std::string isa_coverage();

}  // namespace rnnc::testing
