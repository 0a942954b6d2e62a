// JIT compilation of a bound cell into whole-sequence CPU kernels through
// LLVM. No LLVM header is included here, so users of the kernels and the
// front end do not need LLVM's headers.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "rnnc/ir.h"
#include "rnnc/kernel_plan.h"

namespace rnnc {

// The CPU the kernels are compiled for. An empty cpu means the host, with
// the features it reports; otherwise an LLVM CPU name such as "x86-64" or
// "skylake-avx512", with optional features "+avx2,-avx512f".
struct TargetOptions {
  std::string cpu;
  std::string features;
};

// Forward inference over a whole sequence. Buffers as in interpreter.h, one
// pointer per input / state / output / parameter in declaration order;
// `scratch` holds ForwardPlan::scratch_floats(steps, batch) floats.
using ForwardKernel = void (*)(std::int64_t steps, std::int64_t batch, const float* const* inputs,
                               const float* const* initial_states, float* const* final_states,
                               float* const* outputs, const float* const* params, float* scratch);

class CompiledCell {
 public:
  // Generates, optimizes (O3 for the target) and JIT-compiles the kernels.
  // Returns nullptr with `error` set when LLVM rejects the target.
  static std::unique_ptr<CompiledCell> compile(const Graph& forward, const TargetOptions& target, std::string& error);
  ~CompiledCell();

  ForwardKernel forward_inference() const;
  const ForwardPlan& forward_plan() const;

  // The LLVM IR of the kernels, before or after optimization (for --emit).
  const std::string& llvm_ir(bool optimized) const;

 private:
  struct Impl;
  explicit CompiledCell(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace rnnc
