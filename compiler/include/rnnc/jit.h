// JIT compilation of a bound cell into whole-sequence CPU kernels through
// LLVM: forward inference, forward training (which also writes the
// workspace the backward pass reads) and backward. No LLVM header is
// included here.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "rnnc/autodiff.h"
#include "rnnc/expected.h"
#include "rnnc/ir.h"
#include "rnnc/kernel_abi.h"
#include "rnnc/kernel_plan.h"

namespace rnnc {

struct Kernel {
  SequenceKernel function = nullptr;
  SequencePlan plan;
  KernelArguments arguments;  // what each argument points at
};

class CompiledCell {
 public:
  // Runs the pipeline (rnnc/pipeline.h) from the bound IR to JIT-compiled
  // kernels: differentiates, plans, generates, optimizes (O3 for the
  // target) and links them in this process; the pack and forward inference
  // kernels are ready on return.
  static Expected<std::unique_ptr<CompiledCell>> compile(const Graph& forward, const TargetOptions& target);
  ~CompiledCell();

  const Graph& forward_graph() const;
  const BackwardStep& backward_step() const;
  const WorkspaceLayout& workspace() const;

  // Sources: the cell's inputs. Sinks: its outputs.
  const Kernel& forward_inference() const;
  // Sources: the inputs. Sinks: the outputs, then each saved value, then
  // each next state (rows 1..T of the state region; the caller writes row 0).
  // This kernel and backward() are compiled on their first call (thread
  // safe), so that inference never waits for them.
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
  // Whether every kernel was loaded from the kernel cache
  // (rnnc/kernel_cache.h) rather than compiled.
  bool from_cache() const;
  // The most floats per row of any buffer the kernels use (what bounds
  // steps·batch, see rnnc/cell_bounds.h).
  std::int64_t widest_row_floats() const;

 private:
  struct Impl;
  explicit CompiledCell(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace rnnc
