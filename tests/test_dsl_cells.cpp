// Every shipped cell in dsl/ checks cleanly and builds IR for several shapes.
#include <catch2/catch.hpp>

#include <filesystem>
#include <sstream>

#include "rnnc/frontend.h"
#include "rnnc/pipeline.h"
#include "rnnc/interpreter.h"
#include "support/cells.h"

using rnnc::testing::shipped_cells;

TEST_CASE("every dsl/*.cell checks without errors or warnings", "[dsl]") {
  std::vector<std::string> paths = shipped_cells();
  REQUIRE(paths.size() >= 9);
  for (const std::string& path : paths) {
    auto file = rnnc::read_source_file(path);
    REQUIRE(file);
    rnnc::DiagnosticEngine diagnostics(*file);
    std::optional<rnnc::CheckedCell> cell = rnnc::parse_and_check(*file, diagnostics);
    std::ostringstream printed;
    diagnostics.print(printed);
    INFO(path << "\n" << printed.str());
    CHECK(cell);
    CHECK(diagnostics.diagnostics().empty());
  }
}

TEST_CASE("every dsl/*.cell builds IR and runs for odd shapes", "[dsl]") {
  for (const std::string& path : shipped_cells()) {
    auto file = rnnc::read_source_file(path);
    REQUIRE(file);
    for (std::int64_t extent : {1, 3, 7}) {
      rnnc::DimensionArgs dims = rnnc::testing::distinct_dimensions(path, extent);
      rnnc::DiagnosticEngine diagnostics(*file);
      std::optional<rnnc::Graph> graph = rnnc::build_ir(*file, dims, diagnostics);
      std::ostringstream printed;
      diagnostics.print(printed);
      INFO(path << " with extent " << extent << "\n" << printed.str());
      REQUIRE(graph);
      rnnc::InterpreterArgs<double> args;
      args.steps = 2;
      args.batch = 2;
      for (std::size_t i = 0; i < graph->inputs.size(); ++i) args.inputs.emplace_back(rnnc::input_size(*graph, i, 2, 2), 0.5);
      for (std::size_t s = 0; s < graph->states.size(); ++s) args.initial_states.emplace_back(rnnc::state_size(*graph, s, 2), 0.1);
      for (std::size_t p = 0; p < graph->params.size(); ++p) args.params.emplace_back(rnnc::param_size(*graph, p), 0.2);
      rnnc::SequenceResult<double> result = rnnc::run_sequence(*graph, args);
      for (const auto& state : result.final_states) {
        for (double value : state) CHECK(std::isfinite(value));
      }
    }
  }
}
