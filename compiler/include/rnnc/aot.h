// Ahead-of-time compilation of a bound cell: an object file holding its
// four kernels, which needs nothing but libc to link, and the C99 header a
// C or C++ program calls them through. No LLVM header is included here.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "rnnc/jit.h"
#include "rnnc/kernel_cache.h"
#include "rnnc/kernel_layout.h"
#include "rnnc/pipeline.h"

namespace rnnc {

struct AotOptions {
  TargetOptions target;
  // A C identifier: the header's functions are NAME_forward_inference and
  // so on, the object's kernels NAME_kernel_forward_inference and so on.
  // Empty: the cell's name.
  std::string name;
  // Watches (or stops) the pipeline's stages, as --emit does.
  StageHook hook;
  // Where the object is looked up before compiling and stored after; none:
  // always compiled. (With a cached object there is no LLVM IR for the
  // hook to see.)
  std::shared_ptr<const KernelCache> cache;
};

struct AotCell {
  KernelLayout layout;
  std::string name;
  std::string cpu, features;  // what the code was generated for
  std::string object;         // an ELF relocatable object, position independent
};

// The kernel symbols of an ahead-of-time cell named `name`.
std::string aot_kernel_prefix(const std::string& name);

// Runs the pipeline (rnnc/pipeline.h) to an object file. Nullopt when the
// cell has errors (reported to the input's diagnostics) or the hook stopped
// the pipeline before the end.
Expected<std::optional<AotCell>> compile_ahead_of_time(const PipelineInput& input, const AotOptions& options);

// The C header of a compiled cell (see c_header.cpp for what it holds).
std::string c_header(const AotCell& cell);

// Whether `name` can be a C identifier and prefix the header's names.
bool is_c_identifier(const std::string& name);

}  // namespace rnnc
