#include "rnnc/softmax_output.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "rnnc/init.h"

namespace rnnc {

namespace {

const char* const kLinearCell =
    "# The linear map of rnnc::SoftmaxOutput, as nn.Linear.\n"
    "cell linear<I, V> {\n"
    "  input x[I]\n"
    "  param W[V, I], b[V]\n"
    "  output y = W @ x + b\n"
    "}\n";

// log(sum(exp(row))), shifted by the row's maximum so that no exp overflows.
float log_sum_exp(const float* row, std::int64_t length) {
  const float top = *std::max_element(row, row + length);
  float sum = 0.0f;
  for (std::int64_t i = 0; i < length; ++i) sum += std::exp(row[i] - top);
  return top + std::log(sum);
}

}  // namespace

SoftmaxOutput::SoftmaxOutput(std::int64_t input_size, std::int64_t classes)
    : input_size_(input_size),
      classes_(classes),
      linear_(SourceFile{"linear.cell", kLinearCell}, {{"I", input_size}, {"V", classes}}) {}

std::int64_t SoftmaxOutput::rows_of(std::span<const float> input) const {
  if (std::int64_t(input.size()) % input_size_ != 0) {
    throw RuntimeError(fmt::format("softmax output input of {} floats is not a whole number of rows of {}",
                                   input.size(), input_size_));
  }
  return std::int64_t(input.size()) / input_size_;
}

void SoftmaxOutput::compute_logits(std::span<const float> input, bool training) {
  const std::int64_t rows = rows_of(input);
  logits_.resize(std::size_t(rows * classes_));
  // All rows as one step of a batch: one GEMM.
  ForwardArgs call{1, rows, {input}, {}, {logits_}, {}};
  if (training) {
    linear_.forward_training(call);
  } else {
    linear_.forward_inference(call);
  }
}

std::int64_t SoftmaxOutput::counted_rows(std::span<const std::int32_t> targets, std::int64_t rows) const {
  if (std::int64_t(targets.size()) != rows) {
    throw RuntimeError(fmt::format("{} targets for {} rows", targets.size(), rows));
  }
  std::int64_t counted = 0;
  for (std::int32_t target : targets) {
    if (target >= classes_) throw RuntimeError(fmt::format("target {} outside [0, {})", target, classes_));
    counted += target >= 0;
  }
  return counted;
}

double SoftmaxOutput::cross_entropy(std::span<const std::int32_t> targets, float adjoint_scale, float* adjoint) const {
  double total = 0.0;
  for (std::size_t r = 0; r < targets.size(); ++r) {
    const float* logits = logits_.data() + r * classes_;
    float* row_adjoint = adjoint ? adjoint + r * classes_ : nullptr;
    if (targets[r] < 0) {
      if (row_adjoint) std::fill_n(row_adjoint, classes_, 0.0f);
      continue;
    }
    const float normalizer = log_sum_exp(logits, classes_);
    total += normalizer - logits[targets[r]];
    if (!row_adjoint) continue;
    for (std::int64_t c = 0; c < classes_; ++c) row_adjoint[c] = std::exp(logits[c] - normalizer) * adjoint_scale;
    row_adjoint[targets[r]] -= adjoint_scale;
  }
  return total;
}

float SoftmaxOutput::loss_and_backward(std::span<const float> input, std::span<const std::int32_t> targets,
                                       std::span<float> input_adjoint) {
  const std::int64_t rows = rows_of(input), counted = counted_rows(targets, rows);
  if (input_adjoint.size() != input.size()) {
    throw RuntimeError(fmt::format("input adjoint has {} floats, expected {}", input_adjoint.size(), input.size()));
  }
  std::fill(input_adjoint.begin(), input_adjoint.end(), 0.0f);
  if (counted == 0) return 0.0f;
  compute_logits(input, true);
  logit_adjoint_.resize(logits_.size());
  // d(mean loss)/d logits = (softmax - one_hot) / counted.
  double total = cross_entropy(targets, 1.0f / float(counted), logit_adjoint_.data());
  linear_.backward({{logit_adjoint_}, {}, {input_adjoint}, {}});
  return float(total / double(counted));
}

float SoftmaxOutput::loss(std::span<const float> input, std::span<const std::int32_t> targets) {
  const std::int64_t counted = counted_rows(targets, rows_of(input));
  if (counted == 0) return 0.0f;
  compute_logits(input, false);
  return float(cross_entropy(targets, 0.0f, nullptr) / double(counted));
}

std::span<const float> SoftmaxOutput::log_probabilities(std::span<const float> input) {
  compute_logits(input, false);
  for (std::size_t r = 0; r < logits_.size() / std::size_t(classes_); ++r) {
    float* row = logits_.data() + r * classes_;
    const float normalizer = log_sum_exp(row, classes_);
    for (std::int64_t c = 0; c < classes_; ++c) row[c] -= normalizer;
  }
  return logits_;
}

std::vector<TrainableTensor> SoftmaxOutput::parameters(const std::string& prefix) {
  return {{prefix + "weight", linear_.parameter(0), linear_.gradient(0)},
          {prefix + "bias", linear_.parameter(1), linear_.gradient(1)}};
}

void SoftmaxOutput::initialize(WeightInit init, Rng& rng) {
  if (init == WeightInit::pytorch_default) {
    init_uniform(linear_.parameter(0), linear_default_bound(input_size_), rng);
    init_uniform(linear_.parameter(1), linear_default_bound(input_size_), rng);
  } else {
    init_xavier_uniform(linear_.parameter(0), input_size_, classes_, rng);
    std::ranges::fill(linear_.parameter(1), 0.0f);
  }
}

}  // namespace rnnc
