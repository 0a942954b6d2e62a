#include "rnnc/bidirectional_layer.h"

#include <algorithm>

#include <fmt/format.h>

#include "sequence_args.h"

namespace rnnc {

namespace {

// Reverses each sample of a [T][B][width] buffer within its own length;
// rows past the length are 0. Applied twice, it is the identity there.
void reverse_within_lengths(std::span<const float> from, std::int64_t steps, std::int64_t width,
                            const std::vector<std::int64_t>& lengths, std::vector<float>& to) {
  const std::int64_t batch = std::int64_t(lengths.size());
  to.assign(std::size_t(steps * batch * width), 0.0f);
  for (std::int64_t b = 0; b < batch; ++b) {
    for (std::int64_t t = 0; t < lengths[b]; ++t) {
      std::copy_n(from.data() + (t * batch + b) * width, width, to.data() + ((lengths[b] - 1 - t) * batch + b) * width);
    }
  }
}

// The first `count` lists of `lists` and the rest; both empty when it is.
std::pair<std::span<const std::vector<float>>, std::span<const std::vector<float>>> split_states(
    std::span<const std::vector<float>> lists, std::size_t count) {
  if (lists.empty()) return {};
  return {lists.first(count), lists.subspan(count)};
}

}  // namespace

BidirectionalLayer::BidirectionalLayer(Cell forward_cell, Cell backward_cell, Merge merge)
    : forward_(std::move(forward_cell)), backward_(std::move(backward_cell)), merge_(merge) {
  if (forward_.input_size() != backward_.input_size()) {
    throw RuntimeError(fmt::format("the directions read inputs of {} and {} floats", forward_.input_size(),
                                   backward_.input_size()));
  }
  if (merge_ == Merge::sum && forward_.output_size() != backward_.output_size()) {
    throw RuntimeError(fmt::format("cannot sum outputs of {} and {} floats", forward_.output_size(),
                                   backward_.output_size()));
  }
}

std::int64_t BidirectionalLayer::output_size() const {
  return merge_ == Merge::sum ? forward_.output_size() : forward_.output_size() + backward_.output_size();
}

std::vector<std::int64_t> BidirectionalLayer::state_sizes() const {
  std::vector<std::int64_t> sizes = forward_.state_sizes();
  for (std::int64_t size : backward_.state_sizes()) sizes.push_back(size);
  return sizes;
}

std::span<const float> BidirectionalLayer::forward(const SequenceArgs& args) {
  check_sequence_args(args, input_size(), state_sizes());
  steps_ = args.steps;
  batch_ = args.batch;
  lengths_ = sample_lengths(args);
  auto [forward_initial, backward_initial] = split_states(args.initial_states, forward_.state_sizes().size());
  reverse_within_lengths(args.input, steps_, input_size(), lengths_, reversed_input_);
  std::span<const float> forward_output =
      forward_.forward({steps_, batch_, args.input, lengths_, forward_initial, args.training});
  std::span<const float> reversed_output =
      backward_.forward({steps_, batch_, reversed_input_, lengths_, backward_initial, args.training});
  reverse_within_lengths(reversed_output, steps_, backward_.output_size(), lengths_, backward_output_);

  const std::int64_t rows = steps_ * batch_, forward_width = forward_.output_size();
  const std::int64_t backward_width = backward_.output_size();
  if (merge_ == Merge::sum) {
    output_.resize(std::size_t(rows * forward_width));
    std::transform(forward_output.begin(), forward_output.end(), backward_output_.begin(), output_.begin(),
                   std::plus<>());
  } else {
    output_.resize(std::size_t(rows * (forward_width + backward_width)));
    for (std::int64_t r = 0; r < rows; ++r) {
      float* row = output_.data() + r * (forward_width + backward_width);
      std::copy_n(forward_output.data() + r * forward_width, forward_width, row);
      std::copy_n(backward_output_.data() + r * backward_width, backward_width, row + forward_width);
    }
  }
  final_states_ = forward_.final_states();
  for (const auto& state : backward_.final_states()) final_states_.push_back(state);
  return output_;
}

std::span<const float> BidirectionalLayer::backward(std::span<const float> output_adjoint,
                                                    std::span<const std::vector<float>> final_state_adjoints) {
  const std::int64_t rows = steps_ * batch_, forward_width = forward_.output_size();
  const std::int64_t backward_width = backward_.output_size();
  check_optional_adjoint(output_adjoint, rows * output_size(), "output adjoint");
  check_state_adjoints(final_state_adjoints, batch_, state_sizes());
  auto [forward_final, backward_final] = split_states(final_state_adjoints, forward_.state_sizes().size());

  std::span<const float> forward_adjoint = output_adjoint, backward_adjoint = output_adjoint;
  if (merge_ == Merge::concatenate && !output_adjoint.empty()) {
    forward_adjoint_.resize(std::size_t(rows * forward_width));
    backward_half_adjoint_.resize(std::size_t(rows * backward_width));
    for (std::int64_t r = 0; r < rows; ++r) {
      const float* row = output_adjoint.data() + r * (forward_width + backward_width);
      std::copy_n(row, forward_width, forward_adjoint_.data() + r * forward_width);
      std::copy_n(row + forward_width, backward_width, backward_half_adjoint_.data() + r * backward_width);
    }
    forward_adjoint = forward_adjoint_;
    backward_adjoint = backward_half_adjoint_;
  }
  if (!backward_adjoint.empty()) {
    reverse_within_lengths(backward_adjoint, steps_, backward_width, lengths_, reversed_adjoint_);
    backward_adjoint = reversed_adjoint_;
  }
  std::span<const float> forward_input_adjoint = forward_.backward(forward_adjoint, forward_final);
  std::span<const float> reversed_input_adjoint = backward_.backward(backward_adjoint, backward_final);
  reverse_within_lengths(reversed_input_adjoint, steps_, input_size(), lengths_, input_adjoint_);
  std::transform(input_adjoint_.begin(), input_adjoint_.end(), forward_input_adjoint.begin(), input_adjoint_.begin(),
                 std::plus<>());

  initial_state_adjoints_ = forward_.initial_state_adjoints();
  for (const auto& adjoint : backward_.initial_state_adjoints()) initial_state_adjoints_.push_back(adjoint);
  return input_adjoint_;
}

std::vector<TrainableTensor> BidirectionalLayer::parameters(const std::string& prefix) {
  std::vector<TrainableTensor> tensors = forward_.parameters(prefix + "fwd.");
  for (TrainableTensor& tensor : backward_.parameters(prefix + "bwd.")) tensors.push_back(std::move(tensor));
  return tensors;
}

void BidirectionalLayer::initialize(WeightInit init, Rng& rng) {
  forward_.initialize(init, rng);
  backward_.initialize(init, rng);
}

void BidirectionalLayer::parameters_changed() {
  forward_.parameters_changed();
  backward_.parameters_changed();
}

}  // namespace rnnc
