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

// Where one argument of a kernel points. Each kernel has a table of them
// (KernelArguments, made by rnnc/kernel_layout.h), and whoever calls a
// kernel — the runtime, the generated C header — or replays it — the
// reference BPTT — reads the table instead of deciding it again.
struct ArgumentBinding {
  enum class Region : std::uint8_t {
    Input,                // the caller's forward input `index`, [T][B][n]
    Output,               // the caller's output `index`, [T][B][n]
    InputAdjoint,         // the caller's gradient by input `index`, [T][B][n]
    OutputAdjoint,        // the caller's loss adjoint of output `index`, [T][B][n]; zeros when not given
    InitialState,         // the caller's state `index`, [B][n]
    FinalState,           // the caller's state `index` after the last step, [B][n]
    FinalStateAdjoint,    // the caller's gradient by final state `index`, [B][n]; zeros when not given
    InitialStateAdjoint,  // the caller's gradient by initial state `index`, [B][n]
    Saved,                // the workspace's saved values; `index` is the forward node saved
    States,               // the workspace's state rows; `index` is the state
  };
  Region region;
  int index;
  std::int64_t offset = 0;      // Saved, States: floats into each row of the region
  std::int64_t row_stride = 0;  // floats from one row (or sample) to the next
  // States: row t·B + b of the argument is row (t + step)·B + b of the
  // region: 0 for the states step t reads, 1 for those it writes.
  std::int64_t step = 0;
};

// The bindings of a SequenceKernel's array arguments, one per entry.
struct KernelArguments {
  std::vector<ArgumentBinding> sources, initial_states, final_states, sinks;
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

}  // namespace rnnc
