// Token lookup: row `token` of a [vocabulary][dimension] table (nn.Embedding's
// layout), for token inputs to a recurrent layer. A negative token marks
// padding and embeds to zeros.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "rnnc/sequence_layer.h"

namespace rnnc {

class Embedding {
 public:
  Embedding(std::int64_t vocabulary, std::int64_t dimension);

  std::int64_t vocabulary() const { return vocabulary_; }
  std::int64_t dimension() const { return dimension_; }

  // [tokens][dimension], valid until the next forward(). Throws
  // RuntimeError for a token >= vocabulary.
  std::span<const float> forward(std::span<const std::int32_t> tokens);
  // Adds the adjoint rows of the last forward() into the table's gradient.
  void backward(std::span<const float> output_adjoint);

  // PREFIX + "weight".
  std::vector<TrainableTensor> parameters(const std::string& prefix);
  // N(0, 1) (PyTorch's default) or Xavier-uniform.
  void initialize(WeightInit init, Rng& rng);

 private:
  std::int64_t vocabulary_, dimension_;
  std::vector<float> table_, gradient_, output_;
  std::vector<std::int32_t> tokens_;
};

}  // namespace rnnc
