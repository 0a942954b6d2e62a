// Deterministic pseudo-random test data. Values come straight from
// std::mt19937's output, whose sequence the standard fixes, rather than from
// std::uniform_real_distribution, whose results differ between standard
// libraries: a seed names the same data everywhere.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

namespace rnnc::testing {

class RandomData {
 public:
  explicit RandomData(std::uint32_t seed) : engine_(seed) {}

  // `count` values uniform in [-scale, scale].
  std::vector<float> uniform(std::size_t count, float scale = 1.0f);

 private:
  std::mt19937 engine_;
};

}  // namespace rnnc::testing
