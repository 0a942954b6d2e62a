#include "rnnc/softmax_output.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace rnnc {

namespace {

// log(sum(exp(row))), shifted by the row's maximum so that no exp overflows.
float log_sum_exp(const float* row, std::int64_t length) {
  const float top = *std::max_element(row, row + length);
  float sum = 0.0f;
  for (std::int64_t i = 0; i < length; ++i) sum += std::exp(row[i] - top);
  return top + std::log(sum);
}

}  // namespace

SoftmaxOutput::SoftmaxOutput(std::int64_t input_size, std::int64_t classes) : linear_(input_size, classes) {}

void SoftmaxOutput::compute_logits(std::span<const float> input, bool training) {
  std::span<const float> logits = linear_.forward(input, training);
  logits_.assign(logits.begin(), logits.end());
}

std::int64_t SoftmaxOutput::counted_rows(std::span<const std::int32_t> targets, std::int64_t rows) const {
  if (std::int64_t(targets.size()) != rows) {
    throw RuntimeError(fmt::format("{} targets for {} rows", targets.size(), rows));
  }
  std::int64_t counted = 0;
  for (std::int32_t target : targets) {
    if (target >= classes()) throw RuntimeError(fmt::format("target {} outside [0, {})", target, classes()));
    counted += target >= 0;
  }
  return counted;
}

double SoftmaxOutput::cross_entropy(std::span<const std::int32_t> targets, float adjoint_scale, float* adjoint) const {
  double total = 0.0;
  for (std::size_t r = 0; r < targets.size(); ++r) {
    const float* logits = logits_.data() + r * classes();
    float* row_adjoint = adjoint ? adjoint + r * classes() : nullptr;
    if (targets[r] < 0) {
      if (row_adjoint) std::fill_n(row_adjoint, classes(), 0.0f);
      continue;
    }
    const float normalizer = log_sum_exp(logits, classes());
    total += normalizer - logits[targets[r]];
    if (!row_adjoint) continue;
    for (std::int64_t c = 0; c < classes(); ++c) row_adjoint[c] = std::exp(logits[c] - normalizer) * adjoint_scale;
    row_adjoint[targets[r]] -= adjoint_scale;
  }
  return total;
}

float SoftmaxOutput::loss_and_backward(std::span<const float> input, std::span<const std::int32_t> targets,
                                       std::span<float> input_adjoint) {
  const std::int64_t rows = linear_.rows(input), counted = counted_rows(targets, rows);
  if (input_adjoint.size() != input.size()) {
    throw RuntimeError(fmt::format("input adjoint has {} floats, expected {}", input_adjoint.size(), input.size()));
  }
  std::fill(input_adjoint.begin(), input_adjoint.end(), 0.0f);
  if (counted == 0) return 0.0f;
  compute_logits(input, true);
  logit_adjoint_.resize(logits_.size());
  // d(mean loss)/d logits = (softmax - one_hot) / counted.
  double total = cross_entropy(targets, 1.0f / float(counted), logit_adjoint_.data());
  std::ranges::copy(linear_.backward(logit_adjoint_), input_adjoint.begin());
  return float(total / double(counted));
}

float SoftmaxOutput::loss(std::span<const float> input, std::span<const std::int32_t> targets) {
  const std::int64_t counted = counted_rows(targets, linear_.rows(input));
  if (counted == 0) return 0.0f;
  compute_logits(input, false);
  return float(cross_entropy(targets, 0.0f, nullptr) / double(counted));
}

std::span<const float> SoftmaxOutput::log_probabilities(std::span<const float> input) {
  compute_logits(input, false);
  for (std::size_t r = 0; r < logits_.size() / std::size_t(classes()); ++r) {
    float* row = logits_.data() + r * classes();
    const float normalizer = log_sum_exp(row, classes());
    for (std::int64_t c = 0; c < classes(); ++c) row[c] -= normalizer;
  }
  return logits_;
}

std::vector<TrainableTensor> SoftmaxOutput::parameters(const std::string& prefix) {
  return linear_.parameters(prefix);
}

void SoftmaxOutput::initialize(WeightInit init, Rng& rng) { linear_.initialize(init, rng); }

}  // namespace rnnc
