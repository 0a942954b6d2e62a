#include "word_lm.h"

#include <algorithm>
#include <cmath>

namespace speech {

WordLm::WordLm(const rnnc::CellSpec& cell, const WordLmOptions& options)
    : words_(options.words),
      embedding_(options.words + 2, options.embedding),
      rnn_(cell, options.embedding, {.layers = options.layers, .seed = options.seed}),
      output_(rnn_.output_size(), options.words + 1) {
  rnnc::Rng rng(options.seed);
  embedding_.initialize(rnnc::WeightInit::pytorch_default, rng);
  rnn_.initialize(rnnc::WeightInit::pytorch_default, rng);
  output_.initialize(rnnc::WeightInit::pytorch_default, rng);
}

void WordLm::gather(std::span<const Sentence> sentences) {
  const std::int64_t batch = std::int64_t(sentences.size());
  steps_ = 0;
  lengths_.clear();
  for (const Sentence& sentence : sentences) {
    lengths_.push_back(std::int64_t(sentence.size()) + 1);
    steps_ = std::max(steps_, lengths_.back());
  }
  inputs_.assign(std::size_t(steps_ * batch), -1);  // -1: padding, embedded as zeros, not a target
  targets_.assign(std::size_t(steps_ * batch), -1);
  for (std::int64_t b = 0; b < batch; ++b) {
    const Sentence& sentence = sentences[std::size_t(b)];
    for (std::int64_t t = 0; t <= std::int64_t(sentence.size()); ++t) {
      inputs_[std::size_t(t * batch + b)] = t == 0 ? start_of_sentence() : sentence[std::size_t(t - 1)];
      targets_[std::size_t(t * batch + b)] = t < std::int64_t(sentence.size()) ? sentence[std::size_t(t)] : end_of_sentence();
    }
  }
}

double WordLm::train_step(std::span<const Sentence> sentences) {
  gather(sentences);
  std::span<const float> hidden =
      rnn_.forward({steps_, std::int64_t(sentences.size()), embedding_.forward(inputs_), lengths_, {}, true});
  hidden_adjoint_.resize(hidden.size());
  const double loss = output_.loss_and_backward(hidden, targets_, hidden_adjoint_);
  embedding_.backward(rnn_.backward(hidden_adjoint_, {}));
  return loss;
}

double WordLm::total_loss(std::span<const Sentence> sentences, std::int64_t& tokens) {
  gather(sentences);
  std::span<const float> hidden =
      rnn_.forward({steps_, std::int64_t(sentences.size()), embedding_.forward(inputs_), lengths_, {}, false});
  tokens = std::ranges::count_if(targets_, [](std::int32_t target) { return target >= 0; });
  return output_.loss(hidden, targets_) * double(tokens);
}

std::span<const float> WordLm::next(std::int32_t token, rnnc::StateList& state) {
  std::span<const float> hidden = rnn_.forward({1, 1, embedding_.forward({&token, 1}), {}, state, false});
  state = rnn_.final_states();
  return output_.log_probabilities(hidden);
}

std::int64_t WordLm::parameter_count() {
  std::int64_t count = 0;
  for (const rnnc::TrainableTensor& tensor : parameters()) count += std::int64_t(tensor.value.size());
  return count;
}

std::vector<rnnc::TrainableTensor> WordLm::parameters() {
  std::vector<rnnc::TrainableTensor> tensors = embedding_.parameters("lm.embedding.");
  for (rnnc::TrainableTensor& tensor : rnn_.parameters("lm.rnn.")) tensors.push_back(std::move(tensor));
  for (rnnc::TrainableTensor& tensor : output_.parameters("lm.output.")) tensors.push_back(std::move(tensor));
  return tensors;
}

void WordLm::parameters_changed() {
  rnn_.parameters_changed();
  output_.parameters_changed();
}

double perplexity(WordLm& model, std::span<const Sentence> sentences) {
  constexpr std::size_t kBatch = 256;
  double total = 0;
  std::int64_t tokens = 0;
  for (std::size_t first = 0; first < sentences.size(); first += kBatch) {
    std::int64_t counted = 0;
    total += model.total_loss(sentences.subspan(first, std::min(kBatch, sentences.size() - first)), counted);
    tokens += counted;
  }
  return std::exp(total / double(std::max<std::int64_t>(tokens, 1)));
}

double unigram_perplexity(std::span<const Sentence> train, std::span<const Sentence> test, std::int32_t words) {
  std::vector<double> counts(std::size_t(words) + 1, 1.0);  // the last: end of sentence
  for (const Sentence& sentence : train) {
    for (std::int32_t word : sentence) counts[std::size_t(word)] += 1;
    counts.back() += 1;
  }
  double total = 0;
  for (double count : counts) total += count;
  double loss = 0;
  std::int64_t tokens = 0;
  for (const Sentence& sentence : test) {
    for (std::int32_t word : sentence) loss -= std::log(counts[std::size_t(word)] / total);
    loss -= std::log(counts.back() / total);
    tokens += std::int64_t(sentence.size()) + 1;
  }
  return std::exp(loss / double(std::max<std::int64_t>(tokens, 1)));
}

const WordLmScorer::Context& WordLmScorer::context(std::span<const std::int32_t> history) const {
  Sentence key(history.begin(), history.end());
  if (auto found = contexts_.find(key); found != contexts_.end()) return found->second;
  Context context;
  if (history.empty()) {
    std::span<const float> next = model_.next(model_.start_of_sentence(), context.state);
    context.next.assign(next.begin(), next.end());
  } else {
    context.state = this->context(history.first(history.size() - 1)).state;
    std::span<const float> next = model_.next(history.back(), context.state);
    context.next.assign(next.begin(), next.end());
  }
  return contexts_.emplace(std::move(key), std::move(context)).first->second;
}

double WordLmScorer::log_probability(std::span<const std::int32_t> history, std::int32_t word) const {
  return context(history).next[std::size_t(word)];
}

}  // namespace speech
