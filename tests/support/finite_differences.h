// Gradient checks by central finite differences for float computations.
#pragma once

#include <functional>
#include <span>
#include <string>

namespace rnnc::testing {

// The loss sum(weights · values) in double, so that finite differences of a
// float computation see only the float rounding of `values`.
double weighted_sum(std::span<const float> values, std::span<const float> weights);

// Central differences with step h = 1e-2 of `loss` in each element of
// `values`, checked against `gradient` (a failed Catch check per element).
// In float, with a loss of order 1, rounding contributes about 1e-5 and
// truncation about h² = 1e-4, so the tolerance (1 % relative, 2e-3
// absolute) is ten times the expected error and still well below the
// gradients (of order 0.1 to 1) that a missing or wrong term changes.
void check_finite_differences(std::span<float> values, std::span<const float> gradient,
                              const std::function<double()>& loss, const std::string& what);

}  // namespace rnnc::testing
