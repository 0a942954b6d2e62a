#include "rnnc/dropout.h"

#include <fmt/format.h>

#include "rnnc/cell.h"

namespace rnnc {

Dropout::Dropout(float rate, std::uint64_t seed) : rate_(rate), rng_(seed) {
  if (!(rate >= 0.0f && rate < 1.0f)) throw RuntimeError(fmt::format("dropout rate {} outside [0, 1)", rate));
}

std::span<const float> Dropout::forward(std::span<const float> input, bool training) {
  applied_ = training && rate_ > 0.0f;
  if (!applied_) return input;
  const float kept = 1.0f / (1.0f - rate_);
  scale_.resize(input.size());
  output_.resize(input.size());
  for (std::size_t i = 0; i < input.size(); ++i) {
    scale_[i] = rng_.uniform(0.0f, 1.0f) < rate_ ? 0.0f : kept;
    output_[i] = input[i] * scale_[i];
  }
  return output_;
}

std::span<const float> Dropout::backward(std::span<const float> output_adjoint) {
  if (!applied_ || output_adjoint.empty()) return output_adjoint;
  if (output_adjoint.size() != scale_.size()) {
    throw RuntimeError(fmt::format("dropout adjoint has {} floats, expected {}", output_adjoint.size(), scale_.size()));
  }
  input_adjoint_.resize(output_adjoint.size());
  for (std::size_t i = 0; i < output_adjoint.size(); ++i) input_adjoint_[i] = output_adjoint[i] * scale_[i];
  return input_adjoint_;
}

}  // namespace rnnc
