#include "rnnc/recurrent_stack.h"

#include <fmt/format.h>

#include "sequence_args.h"

namespace rnnc {

namespace {

// Lists [first, first + count) of `lists`; none when `lists` is empty (zero states).
std::span<const std::vector<float>> layer_states(std::span<const std::vector<float>> lists, std::size_t first,
                                                 std::size_t count) {
  return lists.empty() ? lists : lists.subspan(first, count);
}

void append(StateList& to, const StateList& from) { to.insert(to.end(), from.begin(), from.end()); }

}  // namespace

CellSpec CellSpec::from_file(const std::string& path, DimensionArgs dimensions, std::string input_dimension) {
  auto file = read_source_file(path);
  if (!file) throw RuntimeError(file.error().message);
  return {std::move(*file), std::move(dimensions), std::move(input_dimension)};
}

Cell CellSpec::compile(std::int64_t input_size) const {
  DimensionArgs bound = dimensions;
  bound.emplace_back(input_dimension, input_size);
  return Cell(source, bound);
}

RecurrentStack::RecurrentStack(const CellSpec& cell, std::int64_t input_size, const StackOptions& options)
    : bidirectional_(options.bidirectional) {
  if (options.layers < 1) throw RuntimeError(fmt::format("a stack needs at least one layer, not {}", options.layers));
  for (std::int64_t k = 0; k < options.layers; ++k) {
    std::int64_t layer_input = k == 0 ? input_size : layers_.back()->output_size();
    if (options.bidirectional) {
      layers_.push_back(
          std::make_unique<BidirectionalLayer>(cell.compile(layer_input), cell.compile(layer_input), options.merge));
    } else {
      layers_.push_back(std::make_unique<RecurrentLayer>(cell.compile(layer_input)));
    }
    // Each mask gets its own stream, so adding a layer leaves the others' masks alone.
    if (k > 0) dropouts_.emplace_back(options.dropout, options.seed + std::uint64_t(k));
  }
}

std::vector<std::int64_t> RecurrentStack::state_sizes() const {
  std::vector<std::int64_t> sizes;
  for (const auto& layer : layers_) {
    for (std::int64_t size : layer->state_sizes()) sizes.push_back(size);
  }
  return sizes;
}

std::size_t RecurrentStack::first_state(std::size_t layer) const {
  std::size_t first = 0;
  for (std::size_t k = 0; k < layer; ++k) first += layers_[k]->state_sizes().size();
  return first;
}

std::span<const float> RecurrentStack::forward(const SequenceArgs& args) {
  check_sequence_args(args, input_size(), state_sizes());
  std::span<const float> signal = args.input;
  final_states_.clear();
  for (std::size_t k = 0; k < layers_.size(); ++k) {
    if (k > 0) signal = dropouts_[k - 1].forward(signal, args.training);
    auto initial = layer_states(args.initial_states, first_state(k), layers_[k]->state_sizes().size());
    signal = layers_[k]->forward({args.steps, args.batch, signal, args.lengths, initial, args.training});
    append(final_states_, layers_[k]->final_states());
  }
  return signal;
}

std::span<const float> RecurrentStack::backward(std::span<const float> output_adjoint,
                                                std::span<const std::vector<float>> final_state_adjoints) {
  if (!final_state_adjoints.empty() && final_state_adjoints.size() != state_sizes().size()) {
    throw RuntimeError(fmt::format("{} final-state adjoints, expected {}", final_state_adjoints.size(),
                                   state_sizes().size()));
  }
  std::span<const float> adjoint = output_adjoint;
  for (std::size_t k = layers_.size(); k-- > 0;) {
    auto final = layer_states(final_state_adjoints, first_state(k), layers_[k]->state_sizes().size());
    adjoint = layers_[k]->backward(adjoint, final);
    if (k > 0) adjoint = dropouts_[k - 1].backward(adjoint);
  }
  initial_state_adjoints_.clear();
  for (const auto& layer : layers_) append(initial_state_adjoints_, layer->initial_state_adjoints());
  return adjoint;
}

std::vector<TrainableTensor> RecurrentStack::parameters(const std::string& prefix) {
  std::vector<TrainableTensor> tensors;
  for (std::size_t k = 0; k < layers_.size(); ++k) {
    std::string name = fmt::format("{}layer{}.", prefix, k);
    if (!bidirectional_) name += "fwd.";  // a bidirectional layer adds "fwd." and "bwd." itself
    for (TrainableTensor& tensor : layers_[k]->parameters(name)) tensors.push_back(std::move(tensor));
  }
  return tensors;
}

void RecurrentStack::initialize(WeightInit init, Rng& rng) {
  for (auto& layer : layers_) layer->initialize(init, rng);
}

void RecurrentStack::parameters_changed() {
  for (auto& layer : layers_) layer->parameters_changed();
}

}  // namespace rnnc
