// Randomly generated cells from the whole language: each parses, checks,
// and its derived gradients match finite differences at several shapes.
#include <catch2/catch.hpp>

#include <sstream>

#include "rnnc/builtins.h"
#include "rnnc/frontend.h"
#include "rnnc/pipeline.h"
#include "rnnc/gradcheck.h"
#include "support/random_cell.h"

namespace {

constexpr int kRandomCells = 240;

struct Shape {
  std::int64_t I, H;
  int steps, batch;
};

}  // namespace

TEST_CASE("randomly generated cells pass gradcheck", "[autodiff][random]") {
  std::set<std::string> builtins_seen;
  double worst = 0;
  for (std::uint32_t seed = 1; seed <= kRandomCells; ++seed) {
    rnnc::testing::RandomCell cell = rnnc::testing::generate_random_cell(seed);
    builtins_seen.insert(cell.builtins_used.begin(), cell.builtins_used.end());
    rnnc::SourceFile file{"random.cell", cell.text};
    for (Shape shape : {Shape{3, 3, 1, 1}, Shape{3, 4, 3, 2}, Shape{5, 3, 2, 3}}) {
      rnnc::DiagnosticEngine diagnostics(file);
      std::optional<rnnc::Graph> graph = rnnc::build_ir(file, {{"I", shape.I}, {"H", shape.H}}, diagnostics);
      std::ostringstream printed;
      diagnostics.print(printed);
      INFO("seed " << seed << "\n" << cell.text << printed.str());
      REQUIRE(graph);
      rnnc::GradcheckOptions options;
      options.steps = shape.steps;
      options.batch = shape.batch;
      options.seed = seed;
      options.max_elements = 24;
      for (const rnnc::GradientCheck& check : rnnc::gradcheck(*graph, options)) {
        INFO(check.name << " with I=" << shape.I << " H=" << shape.H << " T=" << shape.steps << " B=" << shape.batch);
        CHECK(check.worst_error <= rnnc::kGradcheckTolerance);
        worst = std::max(worst, check.worst_error);
      }
    }
  }
  WARN("random cells: " << kRandomCells << ", worst relative gradient error " << worst);
  // The generator must exercise every built-in, or this test proves less
  // than it claims.
  for (const std::string& name : rnnc::builtin_names()) {
    INFO("built-in never generated: " << name);
    CHECK(builtins_seen.count(name));
  }
}
