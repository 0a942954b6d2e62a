// What every recurrent layer offers — one direction, both directions, a
// stack — so that a training loop and a stack handle them alike.
//
// Layouts (dense, row-major, float), for T steps and a batch of B samples:
//   inputs, outputs and their adjoints   [T][B][len], time-major
//   states and their adjoints            per state, [B][len]
// Samples of a padded batch have their own lengths: a sample stops at its
// length, its outputs past it are 0, its final state is its state at its
// length, and its gradients are those of running it alone.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "rnnc/optimizer.h"
#include "rnnc/random.h"

namespace rnnc {

// Per state, [B][len] floats. A copy of a layer's final_states() is the
// initial state of the next chunk in truncated backpropagation through
// time: being a copy, it is detached from the chunk that produced it.
using StateList = std::vector<std::vector<float>>;

struct SequenceArgs {
  std::int64_t steps = 0;
  std::int64_t batch = 0;
  std::span<const float> input;                        // [T][B][input_size]
  std::span<const std::int64_t> lengths;               // per sample, in [0, T]; empty: all T
  std::span<const std::vector<float>> initial_states;  // per state; empty: zero
  bool training = false;                               // record what backward() needs
};

// How parameters start: PyTorch's defaults (U(±1/sqrt(H)) for every cell
// parameter, nn.Linear's for output layers, N(0, 1) for embeddings), or
// Xavier-uniform matrices with zero vectors.
enum class WeightInit { pytorch_default, xavier_uniform };

class SequenceLayer {
 public:
  virtual ~SequenceLayer() = default;

  virtual std::int64_t input_size() const = 0;
  virtual std::int64_t output_size() const = 0;
  // Per state, its length for one sample.
  virtual std::vector<std::int64_t> state_sizes() const = 0;

  // Returns the outputs, [T][B][output_size], valid until the next forward().
  // Throws RuntimeError for inconsistent sizes or lengths.
  virtual std::span<const float> forward(const SequenceArgs& args) = 0;
  virtual const StateList& final_states() const = 0;

  // After a training forward(): takes the adjoints of the outputs (ignored
  // past each sample's length) and of the final states (either may be
  // empty: zero), adds the parameter gradients, and returns the adjoint of
  // the input, [T][B][input_size], 0 past each sample's length.
  virtual std::span<const float> backward(std::span<const float> output_adjoint,
                                          std::span<const std::vector<float>> final_state_adjoints) = 0;
  virtual const StateList& initial_state_adjoints() const = 0;

  // Values and gradients, named PREFIX + the cell's parameter names.
  virtual std::vector<TrainableTensor> parameters(const std::string& prefix) = 0;
  virtual void initialize(WeightInit init, Rng& rng) = 0;
  // Call after writing parameter values in place (an optimizer step, a
  // checkpoint load): the kernels cache packed weights.
  virtual void parameters_changed() = 0;
};

}  // namespace rnnc
