// Generates random well-typed .cell programs that use the whole language:
// several inputs, states and outputs, every built-in, slices,
// concatenations, scalar parameters and matrix products. Arguments of
// log, sqrt and division are kept away from their poles and exp's argument
// bounded, so that finite differences stay accurate.
#pragma once

#include <cstdint>
#include <set>
#include <span>
#include <string>

namespace rnnc::testing {

struct RandomCell {
  std::string text;
  std::set<std::string> builtins_used;
};

// Dimensions are I and H; bind both to values >= 3 (slices like h[2:H]
// must not be empty).
RandomCell generate_random_cell(std::uint32_t seed);

// The same language, every choice taken from `bytes` in turn (for fuzzing).
RandomCell generate_cell_from_bytes(std::span<const std::uint8_t> bytes);

}  // namespace rnnc::testing
