// A seeded random number generator whose sequence is the same on every
// platform and standard library: xoshiro256** (Blackman and Vigna) seeded
// through splitmix64, with its own conversions to floats — the standard
// distributions (std::uniform_real_distribution, std::normal_distribution)
// are implementation-defined, so a seed would not name the same numbers
// everywhere.
#pragma once

#include <array>
#include <cstdint>

namespace rnnc {

class Rng {
 public:
  explicit Rng(std::uint64_t seed);

  // 64 uniformly distributed bits.
  std::uint64_t next();
  // Uniform in [lo, hi).
  float uniform(float lo, float hi);
  // Standard normal, N(0, 1).
  float normal();
  // Uniform in [0, n), without modulo bias; n must be positive.
  std::uint64_t below(std::uint64_t n);

 private:
  std::array<std::uint64_t, 4> state_;
};

}  // namespace rnnc
