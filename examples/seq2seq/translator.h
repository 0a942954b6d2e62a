// The sequence-to-sequence model of the example: a GRU encoder reads the
// number words; its final state starts a GRU decoder that writes the
// digits, trained with teacher forcing (the decoder reads the true previous
// digit) and run greedily (it reads its own most likely previous digit).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "rnnc/embedding.h"
#include "rnnc/recurrent_layer.h"
#include "rnnc/recurrent_stack.h"  // CellSpec
#include "rnnc/softmax_output.h"

namespace seq2seq {

// Numbers as padded, time-major token batches (-1 pads).
struct Batch {
  std::int64_t size = 0, source_steps = 0, target_steps = 0;
  std::vector<std::int32_t> source;           // [source_steps][size] words
  std::vector<std::int64_t> source_lengths;   // words per number
  std::vector<std::int32_t> decoder_input;    // [target_steps][size]: begin, digits
  std::vector<std::int32_t> target;           // [target_steps][size]: digits, end
  std::vector<std::int64_t> target_lengths;   // digits + 1 per number
};

Batch make_batch(std::span<const std::int32_t> numbers);

struct TranslatorOptions {
  std::int64_t embedding = 32;
  std::uint64_t seed = 1;
};

class Translator {
 public:
  // `cell` binds every dimension of the cell but its input's (e.g. H).
  Translator(const rnnc::CellSpec& cell, const TranslatorOptions& options);

  // Forward and backward through encoder and decoder; adds the gradients
  // and returns the mean loss per target token.
  float train_step(const Batch& batch);
  // Greedy decoding of each source: its digit tokens, until the end token
  // or `max_digits` + 1 tokens.
  std::vector<std::vector<std::int32_t>> translate(const Batch& batch, std::int64_t max_digits);

  std::vector<rnnc::TrainableTensor> parameters();
  void parameters_changed();

 private:
  rnnc::Embedding source_embedding_, target_embedding_;
  rnnc::RecurrentLayer encoder_, decoder_;
  rnnc::SoftmaxOutput output_;
  std::vector<float> decoder_output_adjoint_;
};

}  // namespace seq2seq
