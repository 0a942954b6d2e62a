// Probabilities as logarithms, for the CTC loss and decoder: sums of tiny
// probabilities without underflow.
#pragma once

#include <cmath>
#include <limits>
#include <utility>

namespace rnnc {

inline constexpr double kLogZero = -std::numeric_limits<double>::infinity();

// log(exp(a) + exp(b)), exact at -infinity.
inline double log_add(double a, double b) {
  if (a < b) std::swap(a, b);
  if (b == kLogZero) return a;
  return a + std::log1p(std::exp(b - a));
}

}  // namespace rnnc
