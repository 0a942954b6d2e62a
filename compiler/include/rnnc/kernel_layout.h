// What a compilation of a cell decides besides the machine code: the
// forward and backward steps, each kernel's plan, the workspace and the
// packed weights. It is all the code generator translates, and all a
// caller needs to lay out the kernels' buffers, whether it calls JIT
// kernels (the runtime) or an object file (through the generated C
// header). No LLVM header is included here.
#pragma once

#include <cstdint>
#include <string>

#include "rnnc/autodiff.h"
#include "rnnc/cpu_features.h"
#include "rnnc/ir.h"
#include "rnnc/kernel_abi.h"
#include "rnnc/gemm_schedule.h"
#include "rnnc/kernel_plan.h"
#include "rnnc/weight_packing.h"

namespace rnnc {

struct KernelLayout {
  Graph forward;
  BackwardStep backward;
  WorkspaceLayout workspace;
  SequencePlan inference, training, backward_kernel;
  // What each kernel's arguments point at.
  KernelArguments inference_arguments, training_arguments, backward_arguments;
  // The blocking of every GEMM (its panel width is the unit threads share a
  // step's products by), and the packed weights they read.
  GemmSchedule schedule;
  PackedWeights packing;
  // What the CPU must have to run the code (see rnnc/cpu_features.h).
  std::vector<CpuFeature> required_features;
};

// Differentiates `forward` and plans its kernels for GEMMs of `schedule`,
// on a CPU with `required_features`.
KernelLayout plan_kernels(const Graph& forward, const GemmSchedule& schedule,
                          std::vector<CpuFeature> required_features);

// Where forward training stores what the backward kernel reads.
WorkspaceLayout workspace_layout(const Graph& forward, const BackwardStep& backward);

// The argument tables of the three kernels (see ArgumentBinding). Forward
// inference: sources the inputs, sinks the outputs. Forward training: also
// sinks for the saved values and, one step later, the states (row 0 of the
// state region is the caller's to fill). Backward: sources the backward
// step's inputs, states the adjoints, sinks the input adjoints.
KernelArguments inference_arguments(const Graph& forward);
KernelArguments training_arguments(const Graph& forward, const BackwardStep& backward,
                                   const WorkspaceLayout& workspace);
KernelArguments backward_arguments(const Graph& forward, const BackwardStep& backward,
                                   const WorkspaceLayout& workspace);

// The most floats per row (t·B + b) of any buffer the kernels read or
// write: the workspace, each kernel's scratch (what grows with steps·batch),
// the inputs, outputs and states.
std::int64_t widest_row_floats(const KernelLayout& layout);

// Why the layout exceeds rnnc/cell_bounds.h (the packed weights, or the
// widest row, above kMaxCellFloats); empty when it does not.
std::string layout_bounds_error(const KernelLayout& layout);

}  // namespace rnnc
