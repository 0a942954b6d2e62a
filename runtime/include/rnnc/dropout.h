// Inverted dropout: in training, each value is zeroed with probability
// `rate` and the others scaled by 1 / (1 - rate), so inference is the
// identity. The mask comes from a seeded Rng: a seed gives the same masks.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "rnnc/random.h"

namespace rnnc {

class Dropout {
 public:
  // Throws RuntimeError unless 0 <= rate < 1.
  Dropout(float rate, std::uint64_t seed);

  float rate() const { return rate_; }
  // Returns `input` itself outside training or at rate 0; the result is
  // valid until the next forward().
  std::span<const float> forward(std::span<const float> input, bool training);
  // The adjoint of the last forward()'s input.
  std::span<const float> backward(std::span<const float> output_adjoint);

 private:
  float rate_;
  Rng rng_;
  bool applied_ = false;
  std::vector<float> scale_, output_, input_adjoint_;  // scale_: 0 or 1 / (1 - rate) per value
};

}  // namespace rnnc
