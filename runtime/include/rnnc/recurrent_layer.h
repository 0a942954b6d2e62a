// One direction of a recurrent layer over a padded batch, from any compiled
// cell with one input x[I], one output y[H] and one or more states.
//
// Per-sample lengths need no support from the kernels: the samples are
// sorted by decreasing length, and time is cut into spans in which the set
// of running samples is constant — a prefix of the sorted batch. Each span
// is one kernel call on that prefix with a tape of its own; a sample that
// stops keeps its state. Backward runs the spans in reverse; a stopped
// sample's final-state adjoint enters where it stopped, and samples outside
// a span are not in its call at all.
#pragma once

#include "rnnc/cell.h"
#include "rnnc/sequence_layer.h"

namespace rnnc {

class RecurrentLayer final : public SequenceLayer {
 public:
  // Throws RuntimeError unless the cell has exactly one input and one output.
  explicit RecurrentLayer(Cell cell);

  Cell& cell() { return cell_; }

  std::int64_t input_size() const override { return input_size_; }
  std::int64_t output_size() const override { return output_size_; }
  std::vector<std::int64_t> state_sizes() const override { return state_sizes_; }

  std::span<const float> forward(const SequenceArgs& args) override;
  const StateList& final_states() const override { return final_states_; }
  std::span<const float> backward(std::span<const float> output_adjoint,
                                  std::span<const std::vector<float>> final_state_adjoints) override;
  const StateList& initial_state_adjoints() const override { return initial_state_adjoints_; }

  std::vector<TrainableTensor> parameters(const std::string& prefix) override;
  void initialize(WeightInit init, Rng& rng) override;
  void parameters_changed() override { cell_.parameters_changed(); }

 private:
  // Steps [begin, end) of the first `active` samples in sorted order.
  struct TimeSpan {
    std::int64_t begin = 0, end = 0, active = 0;
    std::vector<float> input;  // gathered, [end - begin][active][I]; the tape points into it
    Tape tape;
  };

  void plan_spans(const SequenceArgs& args);

  Cell cell_;
  std::int64_t input_size_ = 0, output_size_ = 0;
  std::vector<std::int64_t> state_sizes_;

  std::int64_t steps_ = 0, batch_ = 0;
  bool recorded_ = false;
  std::vector<std::int64_t> order_;  // sample indices by decreasing length
  std::vector<TimeSpan> spans_;
  std::vector<float> output_, input_adjoint_;
  StateList final_states_, initial_state_adjoints_;
};

}  // namespace rnnc
