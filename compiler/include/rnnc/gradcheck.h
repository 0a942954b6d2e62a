// Checks derived gradients against central finite differences, in double
// precision, on random data: the loss is a fixed random linear function of
// every output at every step and of the final states, so every path through
// the cell is exercised.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rnnc/ir.h"

namespace rnnc {

struct GradcheckOptions {
  int steps = 3;
  int batch = 2;
  std::uint32_t seed = 1;
  double step_size = 1e-6;  // finite-difference h
  // Elements checked per gradient buffer; larger buffers are sampled at random.
  std::size_t max_elements = 200;
};

// The tolerance `rnnc gradcheck` and the tests use: worst relative error of
// any checked element, |analytic − numeric| / max(1, |analytic|, |numeric|).
inline constexpr double kGradcheckTolerance = 1e-6;

struct GradientCheck {
  std::string name;          // e.g. "param W_hh", "input x", "initial state h"
  std::size_t checked = 0;   // elements compared
  std::size_t elements = 0;  // elements in the buffer
  double worst_error = 0;
};

// One entry per parameter, input and state, in declaration order.
std::vector<GradientCheck> gradcheck(const Graph& forward, const GradcheckOptions& options);

}  // namespace rnnc
