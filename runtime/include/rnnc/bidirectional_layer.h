// Both directions of a recurrent layer: one cell reads each sample forward,
// another reads it backward within the sample's own length, and their
// outputs are concatenated ([forward, backward], 2H wide) or summed.
// States are listed forward direction first, then backward; the backward
// direction's final state is its state after reading the sample's first step.
#pragma once

#include "rnnc/recurrent_layer.h"

namespace rnnc {

enum class Merge { concatenate, sum };

class BidirectionalLayer final : public SequenceLayer {
 public:
  // Throws RuntimeError unless both cells suit a RecurrentLayer and have
  // the same input size and, for Merge::sum, the same output size.
  BidirectionalLayer(Cell forward_cell, Cell backward_cell, Merge merge);

  RecurrentLayer& forward_direction() { return forward_; }
  RecurrentLayer& backward_direction() { return backward_; }

  std::int64_t input_size() const override { return forward_.input_size(); }
  std::int64_t output_size() const override;
  std::vector<std::int64_t> state_sizes() const override;

  std::span<const float> forward(const SequenceArgs& args) override;
  const StateList& final_states() const override { return final_states_; }
  std::span<const float> backward(std::span<const float> output_adjoint,
                                  std::span<const std::vector<float>> final_state_adjoints) override;
  const StateList& initial_state_adjoints() const override { return initial_state_adjoints_; }

  // PREFIX + "fwd." and PREFIX + "bwd." + the cells' parameter names.
  std::vector<TrainableTensor> parameters(const std::string& prefix) override;
  void initialize(WeightInit init, Rng& rng) override;
  void parameters_changed() override;

 private:
  RecurrentLayer forward_, backward_;
  Merge merge_;
  std::int64_t steps_ = 0, batch_ = 0;
  std::vector<std::int64_t> lengths_;
  std::vector<float> reversed_input_, backward_output_, output_;
  std::vector<float> forward_adjoint_, backward_half_adjoint_, reversed_adjoint_, input_adjoint_;
  StateList final_states_, initial_state_adjoints_;
};

}  // namespace rnnc
