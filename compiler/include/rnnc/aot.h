// Ahead-of-time compilation of a bound cell: an object file holding its
// four kernels, which needs nothing but libc to link, and the C99 header a
// C or C++ program calls them through. No LLVM header is included here.
#pragma once

#include <optional>
#include <string>

#include "rnnc/jit.h"
#include "rnnc/kernel_layout.h"

namespace rnnc {

struct AotOptions {
  TargetOptions target;
  // A C identifier: the header's functions are NAME_forward_inference and
  // so on, the object's kernels NAME_kernel_forward_inference and so on.
  std::string name;
  // Also produce these texts (for --emit): the LLVM IR before and after
  // optimization, the assembly.
  bool llvm_ir = false, llvm_ir_optimized = false, assembly = false;
};

struct AotCell {
  KernelLayout layout;
  std::string name;
  std::string cpu, features;  // what the code was generated for
  std::string object;         // an ELF relocatable object, position independent
  std::string llvm_ir, llvm_ir_optimized, assembly;  // when asked for
};

// The kernel symbols of an ahead-of-time cell named `name`.
std::string aot_kernel_prefix(const std::string& name);

// Nullopt with `error` set when it cannot (see CompileError).
std::optional<AotCell> compile_ahead_of_time(const Graph& forward, const AotOptions& options, CompileError& error);

// The C header of a compiled cell (see c_header.cpp for what it holds).
std::string c_header(const AotCell& cell);

// Whether `name` can be a C identifier and prefix the header's names.
bool is_c_identifier(const std::string& name);

}  // namespace rnnc
