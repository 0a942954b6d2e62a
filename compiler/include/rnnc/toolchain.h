// What `rnnc --version` reports: the LLVM rnnc generates code with, and the
// CPU it detects as the default target. No LLVM header is included here.
#pragma once

#include <string>

namespace rnnc {

struct Toolchain {
  std::string llvm_version;
  std::string host_cpu;
  std::string host_features;  // the enabled ones, "+avx2,+fma,..."
};

Toolchain describe_toolchain();

}  // namespace rnnc
