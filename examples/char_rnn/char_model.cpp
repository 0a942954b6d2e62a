#include "char_model.h"

namespace char_rnn {

CharModel::CharModel(const rnnc::CellSpec& cell, const CharModelOptions& options)
    : embedding_(options.vocabulary, options.embedding),
      input_dropout_(options.dropout, options.seed + 100),
      rnn_(cell, options.embedding, {.layers = options.layers, .dropout = options.dropout, .seed = options.seed}),
      output_dropout_(options.dropout, options.seed + 200),
      output_(rnn_.output_size(), options.vocabulary) {
  rnnc::Rng rng(options.seed);
  embedding_.initialize(rnnc::WeightInit::pytorch_default, rng);
  rnn_.initialize(rnnc::WeightInit::pytorch_default, rng);
  output_.initialize(rnnc::WeightInit::pytorch_default, rng);
}

float CharModel::train_step(std::span<const std::int32_t> inputs, std::span<const std::int32_t> targets,
                            std::int64_t steps, std::int64_t batch, rnnc::StateList& state) {
  std::span<const float> embedded = input_dropout_.forward(embedding_.forward(inputs), true);
  std::span<const float> hidden =
      output_dropout_.forward(rnn_.forward({steps, batch, embedded, {}, state, true}), true);
  state = rnn_.final_states();
  hidden_adjoint_.resize(hidden.size());
  const float loss = output_.loss_and_backward(hidden, targets, hidden_adjoint_);
  std::span<const float> rnn_adjoint = rnn_.backward(output_dropout_.backward(hidden_adjoint_), {});
  embedding_.backward(input_dropout_.backward(rnn_adjoint));
  return loss;
}

float CharModel::loss(std::span<const std::int32_t> inputs, std::span<const std::int32_t> targets,
                      std::int64_t steps, std::int64_t batch, rnnc::StateList& state) {
  std::span<const float> hidden = rnn_.forward({steps, batch, embedding_.forward(inputs), {}, state, false});
  state = rnn_.final_states();
  return output_.loss(hidden, targets);
}

std::span<const float> CharModel::next(std::int32_t token, rnnc::StateList& state) {
  std::span<const float> hidden = rnn_.forward({1, 1, embedding_.forward({&token, 1}), {}, state, false});
  state = rnn_.final_states();
  return output_.log_probabilities(hidden);
}

std::vector<rnnc::TrainableTensor> CharModel::parameters() {
  std::vector<rnnc::TrainableTensor> tensors = embedding_.parameters("embedding.");
  for (rnnc::TrainableTensor& tensor : rnn_.parameters("rnn.")) tensors.push_back(std::move(tensor));
  for (rnnc::TrainableTensor& tensor : output_.parameters("output.")) tensors.push_back(std::move(tensor));
  return tensors;
}

void CharModel::parameters_changed() {
  rnn_.parameters_changed();
  output_.parameters_changed();
}

}  // namespace char_rnn
