// JIT compilation of a bound cell into whole-sequence CPU kernels through
// LLVM: forward inference, forward training (which also writes the
// workspace the backward pass reads) and backward. No LLVM header is
// included here.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "rnnc/autodiff.h"
#include "rnnc/ir.h"
#include "rnnc/kernel_plan.h"
#include <vector>

namespace rnnc {

// The CPU the kernels are compiled for. An empty cpu means the host, with
// the features it reports; otherwise an LLVM CPU name such as "x86-64" or
// "skylake-avx512", with optional features "+avx2,-avx512f".
struct TargetOptions {
  std::string cpu;
  std::string features;
};

// Row r = t·B + b of a buffer starts at data + r·row_stride.
struct RowBuffer {
  float* data;
  std::int64_t row_stride;
};

// The most threads a sequence kernel runs on (its `threads` argument is
// clamped to 1..kMaxKernelThreads).
inline constexpr std::int64_t kMaxKernelThreads = 256;

// See codegen/sequence_codegen.h for the meaning of each argument.
using SequenceKernel = void (*)(std::int64_t steps, std::int64_t batch, const RowBuffer* sources,
                                const float* const* initial_states, float* const* final_states,
                                const RowBuffer* sinks, const float* const* params, float* const* param_gradients,
                                const float* packed_weights, float* scratch, std::int64_t threads);

// Fills the packed weights every sequence kernel reads from the parameters
// (see codegen/packed_weights.h); run it after every weight update.
using PackKernel = void (*)(const float* const* params, float* packed_weights);

struct Kernel {
  SequenceKernel function = nullptr;
  SequencePlan plan;
};

// What forward training stores per row for the backward pass: the saved
// values of BackwardStep::plan, then (in a second region) the states of
// every step, (T+1)·B rows of all states side by side.
struct WorkspaceLayout {
  std::int64_t saved_floats = 0;                // per row, in plan order
  std::vector<std::int64_t> saved_offsets;      // per saved value
  std::int64_t state_floats = 0;                // per row of the state region
  std::vector<std::int64_t> state_offsets;      // per state
  std::int64_t floats(std::int64_t steps, std::int64_t batch) const {
    return steps * batch * saved_floats + (steps + 1) * batch * state_floats;
  }
};

// Why kernels could not be made: LLVM rejected the target (a usage error),
// or the bound cell exceeds the bounds of rnnc/cell_bounds.h (an error in
// the cell, like its diagnostics).
struct CompileError {
  enum class Kind { Target, Cell } kind = Kind::Target;
  std::string message;
};

class CompiledCell {
 public:
  // Differentiates, generates, optimizes (O3 for the target) and JIT-compiles
  // the kernels. Returns nullptr with `error` set when it cannot.
  static std::unique_ptr<CompiledCell> compile(const Graph& forward, const TargetOptions& target, CompileError& error);
  ~CompiledCell();

  const Graph& forward_graph() const;
  const BackwardStep& backward_step() const;
  const WorkspaceLayout& workspace() const;

  // Sources: the cell's inputs. Sinks: its outputs.
  const Kernel& forward_inference() const;
  // Sources: the inputs. Sinks: the outputs, then each saved value, then
  // each next state (rows 1..T of the state region; the caller writes row 0).
  const Kernel& forward_training() const;
  // Runs the backward step in reverse time. Sources: backward_step().graph's
  // inputs; states: the state adjoints (in: at the end; out: of the initial
  // states); sinks: the input adjoints; gradients accumulate.
  const Kernel& backward() const;

  PackKernel pack_weights() const;
  std::int64_t packed_weight_floats() const;
  // Floats per vector register the kernels use, and columns per panel of
  // packed weights (what threads split a step's products by).
  int vector_width() const;
  std::int64_t panel_width() const;
  // The instruction-set features the kernels need that this CPU lacks
  // (empty when they can run here).
  std::vector<std::string> missing_host_features() const;
  // The most floats per row of any buffer the kernels use (what bounds
  // steps·batch, see rnnc/cell_bounds.h).
  std::int64_t widest_row_floats() const;

  // The LLVM IR of the kernels, before or after optimization (for --emit).
  const std::string& llvm_ir(bool optimized) const;

 private:
  struct Impl;
  explicit CompiledCell(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace rnnc
