#include "rnnc/embedding.h"

#include <algorithm>

#include <fmt/format.h>

#include "rnnc/cell.h"
#include "rnnc/init.h"

namespace rnnc {

Embedding::Embedding(std::int64_t vocabulary, std::int64_t dimension)
    : vocabulary_(vocabulary),
      dimension_(dimension),
      table_(std::size_t(vocabulary * dimension), 0.0f),
      gradient_(table_.size(), 0.0f) {}

std::span<const float> Embedding::forward(std::span<const std::int32_t> tokens) {
  for (std::int32_t token : tokens) {
    if (token >= vocabulary_) throw RuntimeError(fmt::format("token {} outside [0, {})", token, vocabulary_));
  }
  tokens_.assign(tokens.begin(), tokens.end());
  output_.assign(tokens.size() * std::size_t(dimension_), 0.0f);
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i] >= 0) std::copy_n(table_.data() + tokens[i] * dimension_, dimension_, output_.data() + i * dimension_);
  }
  return output_;
}

void Embedding::backward(std::span<const float> output_adjoint) {
  if (output_adjoint.size() != tokens_.size() * std::size_t(dimension_)) {
    throw RuntimeError(fmt::format("embedding adjoint has {} floats, expected {}", output_adjoint.size(),
                                   tokens_.size() * std::size_t(dimension_)));
  }
  for (std::size_t i = 0; i < tokens_.size(); ++i) {
    if (tokens_[i] < 0) continue;
    float* row = gradient_.data() + tokens_[i] * dimension_;
    const float* adjoint = output_adjoint.data() + i * dimension_;
    for (std::int64_t d = 0; d < dimension_; ++d) row[d] += adjoint[d];
  }
}

std::vector<TrainableTensor> Embedding::parameters(const std::string& prefix) {
  return {{prefix + "weight", table_, gradient_}};
}

void Embedding::initialize(WeightInit init, Rng& rng) {
  if (init == WeightInit::pytorch_default) {
    init_normal(table_, 1.0f, rng);
  } else {
    init_xavier_uniform(table_, vocabulary_, dimension_, rng);
  }
}

}  // namespace rnnc
