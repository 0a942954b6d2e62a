// The runtime's view of one compiled cell: load a .cell, bind its
// dimensions, JIT-compile it, and run whole sequences forward (inference or
// training) and backward on plain float buffers.
//
// Layouts (dense, row-major, float):
//   input, output, and their adjoints   [T][B][len], time-major
//   initial and final states, adjoints  [B][len]
//   parameters and gradients            in declaration order; matrices
//                                       [rows][cols] (PyTorch's layout)
// Every mistake a caller can make (wrong sizes, null buffers, backward
// without a training forward, a target CPU whose features this CPU lacks)
// throws rnnc::RuntimeError with a one-line reason; nothing is written then.
// A cell with errors throws rnnc::CellError, a RuntimeError holding its
// diagnostics.
//
// Threads: Cells may be constructed and run concurrently from different
// threads, also Cells of the same file (they share its compiled kernels,
// which are read-only; compiles of different cells run in parallel). One
// Cell serves one thread at a time: a call that runs kernels or changes its
// state (forward, backward, set_threads, zero_gradients,
// parameters_changed) while another thread's such call is in progress
// throws RuntimeError. The spans it hands out are the caller's to
// synchronize.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "rnnc/diagnostics.h"
#include "rnnc/frontend.h"
#include "rnnc/jit.h"
#include "rnnc/limits.h"

namespace rnnc {

class RuntimeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// An error in the cell itself, not in how it is used: what() is its
// diagnostics, printed (file:line:col: error: ..., the source line, a caret).
// what() is the diagnostics as printed (file:line:col, source line,
// caret); diagnostics() the list, empty for an error of the bound cell as a
// whole (its kernels too large), which has no place in the text.
class CellError : public RuntimeError {
 public:
  CellError(const std::string& printed, std::vector<Diagnostic> diagnostics)
      : RuntimeError(printed), diagnostics_(std::move(diagnostics)) {}
  const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }

 private:
  std::vector<Diagnostic> diagnostics_;
};

struct ForwardArgs {
  std::int64_t steps = 0;
  std::int64_t batch = 0;
  std::vector<std::span<const float>> inputs;          // per input
  std::vector<std::span<const float>> initial_states;  // per state
  std::vector<std::span<float>> outputs;               // per output
  std::vector<std::span<float>> final_states;          // per state
};

struct BackwardArgs {
  // Adjoints of the loss; an empty list, or an empty span, means zero.
  std::vector<std::span<const float>> output_adjoints;       // per output
  std::vector<std::span<const float>> final_state_adjoints;  // per state
  // Results.
  std::vector<std::span<float>> input_adjoints;          // per input
  std::vector<std::span<float>> initial_state_adjoints;  // per state
};

// What one forward_training() keeps for its backward(): the saved values
// and states of every step, and which inputs it read. A Cell keeps one tape
// of its own; a caller that needs several training passes alive at once
// (sequence chunks, segments of different lengths) passes its own tapes.
class Tape {
 public:
  Tape();
  Tape(Tape&&) noexcept;
  Tape& operator=(Tape&&) noexcept;
  ~Tape();
  bool recorded() const;

 private:
  friend class Cell;
  struct Data;
  std::unique_ptr<Data> data_;
};

class Cell {
 public:
  // Compiles the cell in `file`; throws RuntimeError carrying the printed
  // diagnostics when the cell or its binding has errors.
  Cell(const SourceFile& file, const DimensionArgs& dimensions, const TargetOptions& target = {});
  static Cell from_file(const std::string& path, const DimensionArgs& dimensions, const TargetOptions& target = {});
  Cell(Cell&&) noexcept;
  Cell& operator=(Cell&&) noexcept;
  ~Cell();

  const Graph& graph() const;
  const CompiledCell& compiled() const;

  // Parameters and gradients, owned by the cell and zero-initialized, or
  // borrowed from the caller with borrow_parameter().
  std::span<float> parameter(std::size_t index);
  std::span<float> parameter(const std::string& name);
  std::span<float> gradient(std::size_t index);
  void borrow_parameter(std::size_t index, std::span<float> buffer);
  void zero_gradients();
  // The kernels read the weight matrices in a packed copy made once per
  // weight update: call this after writing parameter values in place
  // (an optimizer step, loading a checkpoint). parameter() and
  // borrow_parameter() call it themselves.
  void parameters_changed();

  // Runs each sequence on `threads` threads (1 by default), which share
  // every matrix product and pointwise loop of a step.
  static constexpr int kMaxThreads = int(kMaxKernelThreads);
  void set_threads(int threads);

  void forward_inference(const ForwardArgs& args);
  // Also records in the tape what backward() reads. The input buffers must
  // stay unchanged until backward() has run.
  void forward_training(const ForwardArgs& args);
  void forward_training(const ForwardArgs& args, Tape& tape);
  // Backpropagates through the sequence of the last forward_training()
  // (or of `tape`); parameter gradients are added to gradient().
  void backward(const BackwardArgs& args);
  void backward(const Tape& tape, const BackwardArgs& args);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace rnnc
