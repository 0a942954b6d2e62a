// The recognizer's language model: a word-level recurrent network
// (embedding -> recurrent stack, dsl/lstm.cell by default -> softmax over
// the words and the end of the sentence) over number phrases, the unigram
// baseline its perplexity is measured against, and the adaptor through
// which the beam search asks it.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <vector>

#include "rnnc/ctc_beam_search.h"
#include "rnnc/embedding.h"
#include "rnnc/recurrent_stack.h"
#include "rnnc/softmax_output.h"

namespace speech {

using Sentence = std::vector<std::int32_t>;  // word indices

struct WordLmOptions {
  std::int32_t words = 0;  // the vocabulary
  std::int64_t embedding = 32;
  std::int64_t layers = 1;
  std::uint64_t seed = 1;
};

class WordLm {
 public:
  // `cell` binds every dimension but the input's (e.g. H).
  WordLm(const rnnc::CellSpec& cell, const WordLmOptions& options);

  // The class that ends a sentence (== words), and the token that starts one.
  std::int32_t end_of_sentence() const { return words_; }
  std::int32_t start_of_sentence() const { return words_ + 1; }

  // Adds the gradients of the mean loss per predicted token (each word and
  // the end) over `sentences`; returns that mean.
  double train_step(std::span<const Sentence> sentences);
  // The summed -log p of every predicted token, and their count.
  double total_loss(std::span<const Sentence> sentences, std::int64_t& tokens);
  // log p(next | history) over words and the end, after reading `token`
  // from `state` (empty: the start), which advances.
  std::span<const float> next(std::int32_t token, rnnc::StateList& state);

  std::int64_t parameter_count();
  std::vector<rnnc::TrainableTensor> parameters();
  void parameters_changed();

 private:
  // Inputs (start, words) and targets (words, end) of the padded,
  // time-major batch into inputs_, targets_ and lengths_.
  void gather(std::span<const Sentence> sentences);

  std::int32_t words_;
  rnnc::Embedding embedding_;
  rnnc::RecurrentStack rnn_;
  rnnc::SoftmaxOutput output_;
  std::vector<std::int32_t> inputs_, targets_;
  std::vector<std::int64_t> lengths_;
  std::int64_t steps_ = 0;
  std::vector<float> hidden_adjoint_;
};

// exp(mean -log p per predicted token).
double perplexity(WordLm& model, std::span<const Sentence> sentences);
// The same for word frequencies counted on `train` (add-one smoothed).
double unigram_perplexity(std::span<const Sentence> train, std::span<const Sentence> test, std::int32_t words);

// The LM as the decoder asks it, each history's state computed once.
class WordLmScorer final : public rnnc::WordScorer {
 public:
  explicit WordLmScorer(WordLm& model) : model_(model) {}
  double log_probability(std::span<const std::int32_t> history, std::int32_t word) const override;

 private:
  struct Context {
    rnnc::StateList state;
    std::vector<float> next;  // log p of each word and the end
  };
  const Context& context(std::span<const std::int32_t> history) const;

  WordLm& model_;
  mutable std::map<Sentence, Context> contexts_;
};

}  // namespace speech
