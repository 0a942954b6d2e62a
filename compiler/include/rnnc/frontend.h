// The front end for tools and tests: parse and check a cell, or build its
// bound IR through the pipeline (rnnc/pipeline.h). Each stage is a free
// function in its own file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "rnnc/checker.h"
#include "rnnc/diagnostics.h"
#include "rnnc/expected.h"
#include "rnnc/ir.h"

namespace rnnc {

using DimensionArgs = std::vector<std::pair<std::string, std::int64_t>>;

// Parses and checks a cell; nullopt when there were errors.
std::optional<CheckedCell> parse_and_check(const SourceFile& file, DiagnosticEngine& diagnostics);

// The simplified IR of the cell with its dimensions bound (the front end
// of rnnc/pipeline.h); nullopt when the cell or the binding has errors, or
// the bound cell exceeds the bounds of rnnc/cell_bounds.h (all reported to
// `diagnostics`).
std::optional<Graph> build_ir(const SourceFile& file, const DimensionArgs& dimensions, DiagnosticEngine& diagnostics);

// Reads a file.
Expected<SourceFile, ReadError> read_source_file(const std::string& path);

}  // namespace rnnc
