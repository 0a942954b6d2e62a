// The front end for tools and tests: read a cell's file, parse and check
// it (its bound IR comes from build_ir in rnnc/pipeline.h). Each stage is a
// free function in its own file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "rnnc/checker.h"
#include "rnnc/diagnostics.h"
#include "rnnc/expected.h"

namespace rnnc {

using DimensionArgs = std::vector<std::pair<std::string, std::int64_t>>;

// Parses and checks a cell; nullopt when there were errors.
std::optional<CheckedCell> parse_and_check(const SourceFile& file, DiagnosticEngine& diagnostics);

// Reads a file.
Expected<SourceFile, ReadError> read_source_file(const std::string& path);

}  // namespace rnnc
