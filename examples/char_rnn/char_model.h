// The character-level language model: embedding -> dropout -> recurrent
// stack (any cell; the demo uses dsl/lstm.cell) -> dropout -> linear +
// softmax over the next character. Dropout on the connections that are not
// recurrent (Zaremba et al. 2014) is what keeps a model of a short text
// from memorizing it.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "rnnc/embedding.h"
#include "rnnc/recurrent_stack.h"
#include "rnnc/softmax_output.h"

namespace char_rnn {

struct CharModelOptions {
  std::int64_t vocabulary = 0;
  std::int64_t embedding = 64;
  std::int64_t layers = 1;
  float dropout = 0;       // before and after the stack, and between its layers
  std::uint64_t seed = 1;  // of the initial weights and the dropout masks
};

class CharModel {
 public:
  // `cell` binds every dimension but the input's (e.g. H).
  CharModel(const rnnc::CellSpec& cell, const CharModelOptions& options);

  // Forward and backward over [steps][batch] tokens, starting from `state`
  // (empty: zero), which becomes the final state, detached for the next
  // chunk. Adds the gradients; returns the mean loss.
  float train_step(std::span<const std::int32_t> inputs, std::span<const std::int32_t> targets, std::int64_t steps,
                   std::int64_t batch, rnnc::StateList& state);
  // The same mean loss without gradients.
  float loss(std::span<const std::int32_t> inputs, std::span<const std::int32_t> targets, std::int64_t steps,
             std::int64_t batch, rnnc::StateList& state);
  // Log-probabilities of the character after `token` for one sample,
  // advancing `state`.
  std::span<const float> next(std::int32_t token, rnnc::StateList& state);

  // "embedding.weight", "rnn.layer0.fwd.W_ih", ..., "output.weight", "output.bias".
  std::vector<rnnc::TrainableTensor> parameters();
  void parameters_changed();

 private:
  rnnc::Embedding embedding_;
  rnnc::Dropout input_dropout_;
  rnnc::RecurrentStack rnn_;
  rnnc::Dropout output_dropout_;
  rnnc::SoftmaxOutput output_;
  std::vector<float> hidden_adjoint_;
};

}  // namespace char_rnn
