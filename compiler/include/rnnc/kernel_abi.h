// How generated kernels are called, shared by the code generator, the JIT,
// the ahead-of-time C header and the runtime: the target they are compiled
// for, their signatures and the row buffers they read and write, and the
// workspace forward training leaves for the backward pass. No LLVM header
// is included here.
#pragma once

#include <cstdint>
#include <string>
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

// See codegen/sequence_codegen.h for the meaning of each argument; threads
// is clamped to 1..kMaxKernelThreads (rnnc/limits.h).
using SequenceKernel = void (*)(std::int64_t steps, std::int64_t batch, const RowBuffer* sources,
                                const float* const* initial_states, float* const* final_states,
                                const RowBuffer* sinks, const float* const* params, float* const* param_gradients,
                                const float* packed_weights, float* scratch, std::int64_t threads);

// Fills the packed weights every sequence kernel reads from the parameters
// (see codegen/packed_weights.h); run it after every weight update.
using PackKernel = void (*)(const float* const* params, float* packed_weights);

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

}  // namespace rnnc
