// The output layer of a classifier or language model: a linear map to
// class scores (nn.Linear's layout: weight [classes][input], bias
// [classes]) followed by softmax and cross-entropy, fused: the loss comes
// from a log-sum-exp, stable for any logits, and the adjoint of the logits,
// softmax - one_hot, never leaves the layer. The linear map runs through a
// state-less JIT-compiled cell, so it uses the same GEMM kernels as the
// recurrent layers.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "rnnc/linear.h"

namespace rnnc {

class SoftmaxOutput {
 public:
  SoftmaxOutput(std::int64_t input_size, std::int64_t classes);

  std::int64_t input_size() const { return linear_.input_size(); }
  std::int64_t classes() const { return linear_.output_size(); }

  // Training: the mean cross-entropy over the rows whose target is not
  // negative (a negative target marks padding), for inputs
  // [rows][input_size]. Adds the weight and bias gradients and writes the
  // adjoint of the input (0 on padding rows). 0 when no row counts.
  // Throws RuntimeError for inconsistent sizes or a target >= classes.
  float loss_and_backward(std::span<const float> input, std::span<const std::int32_t> targets,
                          std::span<float> input_adjoint);
  // Evaluation: the same mean loss, without gradients.
  float loss(std::span<const float> input, std::span<const std::int32_t> targets);
  // Log-softmax of each row, [rows][classes], valid until the next call.
  std::span<const float> log_probabilities(std::span<const float> input);

  // PREFIX + "weight", PREFIX + "bias".
  std::vector<TrainableTensor> parameters(const std::string& prefix);
  void initialize(WeightInit init, Rng& rng);
  void parameters_changed() { linear_.parameters_changed(); }

 private:
  // Logits of every row into logits_; `training` records for backward.
  void compute_logits(std::span<const float> input, bool training);
  // The number of rows with a target; throws for a bad count or target.
  std::int64_t counted_rows(std::span<const std::int32_t> targets, std::int64_t rows) const;
  // The sum of -log softmax(logits_)[target] over counted rows; with an
  // `adjoint` [rows][classes], also writes (softmax - one_hot) * adjoint_scale
  // there (0 on padding rows).
  double cross_entropy(std::span<const std::int32_t> targets, float adjoint_scale, float* adjoint) const;

  Linear linear_;
  std::vector<float> logits_, logit_adjoint_;
};

}  // namespace rnnc
