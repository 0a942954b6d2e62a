// Loading cells in tests: the shipped dsl/*.cell files, and IR from text.
#pragma once

#include <string>
#include <vector>

#include "rnnc/frontend.h"
#include "rnnc/ir.h"

namespace rnnc::testing {

// Every dsl/*.cell, sorted.
std::vector<std::string> shipped_cells();

// Binds every dimension the cell at `path` declares to `extent`.
DimensionArgs all_dimensions(const std::string& path, std::int64_t extent);

// Binds the cell's dimensions to first, first + 1, ... in declaration
// order, so that a kernel or rule that mixes two dimensions up fails.
DimensionArgs distinct_dimensions(const std::string& path, std::int64_t first);

// The bound IR; fails the current test, printing the diagnostics, on errors.
Graph ir_of(const SourceFile& file, const DimensionArgs& dimensions);
Graph ir_of(const std::string& text, const DimensionArgs& dimensions);

}  // namespace rnnc::testing
