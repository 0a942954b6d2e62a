#include "translator.h"

#include <algorithm>

#include "number_task.h"

namespace seq2seq {

Batch make_batch(std::span<const std::int32_t> numbers) {
  Batch batch;
  batch.size = std::int64_t(numbers.size());
  std::vector<std::vector<std::int32_t>> words, digits;
  for (std::int32_t number : numbers) {
    words.push_back(source_tokens(number));
    digits.push_back(digit_tokens(number));
    batch.source_lengths.push_back(std::int64_t(words.back().size()));
    batch.target_lengths.push_back(std::int64_t(digits.back().size()) + 1);
    batch.source_steps = std::max(batch.source_steps, batch.source_lengths.back());
    batch.target_steps = std::max(batch.target_steps, batch.target_lengths.back());
  }
  batch.source.assign(std::size_t(batch.source_steps * batch.size), -1);
  batch.decoder_input.assign(std::size_t(batch.target_steps * batch.size), -1);
  batch.target.assign(batch.decoder_input.size(), -1);
  for (std::int64_t b = 0; b < batch.size; ++b) {
    for (std::size_t t = 0; t < words[b].size(); ++t) batch.source[t * batch.size + b] = words[b][t];
    batch.decoder_input[b] = kBeginToken;
    for (std::size_t t = 0; t < digits[b].size(); ++t) {
      batch.decoder_input[(t + 1) * batch.size + b] = digits[b][t];
      batch.target[t * batch.size + b] = digits[b][t];
    }
    batch.target[digits[b].size() * batch.size + b] = kEndToken;
  }
  return batch;
}

Translator::Translator(const rnnc::CellSpec& cell, const TranslatorOptions& options)
    : source_embedding_(std::int64_t(source_words().size()), options.embedding),
      target_embedding_(kTargetVocabulary, options.embedding),
      encoder_(cell.compile(options.embedding)),
      decoder_(cell.compile(options.embedding)),
      output_(decoder_.output_size(), kTargetClasses) {
  rnnc::Rng rng(options.seed);
  source_embedding_.initialize(rnnc::WeightInit::pytorch_default, rng);
  target_embedding_.initialize(rnnc::WeightInit::pytorch_default, rng);
  encoder_.initialize(rnnc::WeightInit::pytorch_default, rng);
  decoder_.initialize(rnnc::WeightInit::pytorch_default, rng);
  output_.initialize(rnnc::WeightInit::pytorch_default, rng);
}

float Translator::train_step(const Batch& batch) {
  encoder_.forward({batch.source_steps, batch.size, source_embedding_.forward(batch.source), batch.source_lengths, {},
                    true});
  std::span<const float> decoded =
      decoder_.forward({batch.target_steps, batch.size, target_embedding_.forward(batch.decoder_input),
                        batch.target_lengths, encoder_.final_states(), true});
  decoder_output_adjoint_.resize(decoded.size());
  const float loss = output_.loss_and_backward(decoded, batch.target, decoder_output_adjoint_);
  target_embedding_.backward(decoder_.backward(decoder_output_adjoint_, {}));
  // The encoder learns only through the state it hands to the decoder.
  source_embedding_.backward(encoder_.backward({}, decoder_.initial_state_adjoints()));
  return loss;
}

std::vector<std::vector<std::int32_t>> Translator::translate(const Batch& batch, std::int64_t max_digits) {
  encoder_.forward({batch.source_steps, batch.size, source_embedding_.forward(batch.source), batch.source_lengths, {},
                    false});
  rnnc::StateList state = encoder_.final_states();
  std::vector<std::int32_t> previous(std::size_t(batch.size), kBeginToken);
  std::vector<std::vector<std::int32_t>> digits(std::size_t(batch.size));
  std::vector<bool> finished(std::size_t(batch.size), false);
  for (std::int64_t step = 0; step <= max_digits; ++step) {
    std::span<const float> decoded =
        decoder_.forward({1, batch.size, target_embedding_.forward(previous), {}, state, false});
    state = decoder_.final_states();
    std::span<const float> log_probabilities = output_.log_probabilities(decoded);
    for (std::int64_t b = 0; b < batch.size; ++b) {
      auto row = log_probabilities.subspan(std::size_t(b * kTargetClasses), kTargetClasses);
      previous[b] = std::int32_t(std::ranges::max_element(row) - row.begin());
      if (previous[b] == kEndToken) finished[b] = true;
      if (!finished[b]) digits[b].push_back(previous[b]);
    }
  }
  return digits;
}

std::vector<rnnc::TrainableTensor> Translator::parameters() {
  std::vector<rnnc::TrainableTensor> tensors = source_embedding_.parameters("source_embedding.");
  auto append = [&](std::vector<rnnc::TrainableTensor> more) {
    for (rnnc::TrainableTensor& tensor : more) tensors.push_back(std::move(tensor));
  };
  append(target_embedding_.parameters("target_embedding."));
  append(encoder_.parameters("encoder."));
  append(decoder_.parameters("decoder."));
  append(output_.parameters("output."));
  return tensors;
}

void Translator::parameters_changed() {
  encoder_.parameters_changed();
  decoder_.parameters_changed();
  output_.parameters_changed();
}

}  // namespace seq2seq
