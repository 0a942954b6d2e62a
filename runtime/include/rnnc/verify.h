// Checks the JIT kernels of a cell against the reference interpreter on
// random data: forward inference and training (outputs, final states) and
// backward (input, initial-state and parameter gradients), in float against
// the interpreter in double.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rnnc/cell.h"

namespace rnnc {

// The tolerance `rnnc verify` and the tests use: worst relative error of
// any element, |jit − reference| / max(1, |reference|).
inline constexpr double kVerifyTolerance = 1e-4;

struct VerifiedBuffer {
  std::string name;  // e.g. "fwd-infer output y", "bwd param W_hh"
  double worst_error = 0;
};

std::vector<VerifiedBuffer> verify_cell(Cell& cell, std::int64_t steps, std::int64_t batch, std::uint32_t seed);

}  // namespace rnnc
