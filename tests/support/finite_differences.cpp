#include "support/finite_differences.h"

#include <catch2/catch.hpp>

namespace rnnc::testing {

double weighted_sum(std::span<const float> values, std::span<const float> weights) {
  double sum = 0.0;
  for (std::size_t i = 0; i < values.size(); ++i) sum += double(values[i]) * double(weights[i]);
  return sum;
}

void check_finite_differences(std::span<float> values, std::span<const float> gradient,
                              const std::function<double()>& loss, const std::string& what) {
  const float h = 1e-2f;
  for (std::size_t i = 0; i < values.size(); ++i) {
    const float saved = values[i];
    values[i] = saved + h;
    const double up = loss();
    values[i] = saved - h;
    const double down = loss();
    values[i] = saved;
    const double numeric = (up - down) / (2.0 * double(h));
    INFO(what << " element " << i);
    CHECK(gradient[i] == Approx(numeric).epsilon(1e-2).margin(2e-3));
  }
}

}  // namespace rnnc::testing
