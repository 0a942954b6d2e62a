#include "support/cells.h"

#include <algorithm>
#include <filesystem>
#include <sstream>

#include <catch2/catch.hpp>

#include "rnnc/pipeline.h"

namespace rnnc::testing {

std::vector<std::string> shipped_cells() {
  std::vector<std::string> paths;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(RNNC_SOURCE_DIR) + "/dsl")) {
    if (entry.path().extension() == ".cell") paths.push_back(entry.path().string());
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

namespace {

std::vector<std::string> dimension_names(const std::string& path) {
  auto file = read_source_file(path);
  REQUIRE(file);
  DiagnosticEngine diagnostics(*file);
  std::optional<CheckedCell> checked = parse_and_check(*file, diagnostics);
  REQUIRE(checked);
  std::vector<std::string> names;
  for (const NameRef& dimension : checked->ast.dimensions) names.push_back(dimension.name);
  return names;
}

}  // namespace

DimensionArgs all_dimensions(const std::string& path, std::int64_t extent) {
  DimensionArgs dimensions;
  for (const std::string& name : dimension_names(path)) dimensions.emplace_back(name, extent);
  return dimensions;
}

DimensionArgs distinct_dimensions(const std::string& path, std::int64_t first) {
  DimensionArgs dimensions;
  for (const std::string& name : dimension_names(path)) {
    dimensions.emplace_back(name, first + std::int64_t(dimensions.size()));
  }
  return dimensions;
}

Graph ir_of(const SourceFile& file, const DimensionArgs& dimensions) {
  DiagnosticEngine diagnostics(file);
  std::optional<Graph> graph = build_ir(file, dimensions, diagnostics);
  std::ostringstream printed;
  diagnostics.print(printed);
  INFO(printed.str());
  REQUIRE(graph);
  return *graph;
}

Graph ir_of(const std::string& text, const DimensionArgs& dimensions) {
  return ir_of(SourceFile{"test.cell", text}, dimensions);
}

}  // namespace rnnc::testing
