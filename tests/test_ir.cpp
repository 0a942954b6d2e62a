// The cell IR: golden dumps of the standard cells and the simplification passes.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "rnnc/frontend.h"
#include "rnnc/pipeline.h"
#include "rnnc/ir_printer.h"
#include "rnnc/lower.h"
#include "rnnc/passes.h"
#include "support/cells.h"

using rnnc::testing::ir_of;

namespace {

std::string read_text(const std::string& path) {
  std::ifstream stream(path);
  std::ostringstream text;
  text << stream.rdbuf();
  return text.str();
}

int count_ops(const rnnc::Graph& graph, rnnc::Op op) {
  int count = 0;
  for (const rnnc::Node& node : graph.nodes) count += node.op == op;
  return count;
}

}  // namespace

// Golden files hold `rnnc ir` output reviewed by hand against the cell's
// equations. Regenerate with RNNC_UPDATE_GOLDEN=1 after an intended change,
// and review the diff.
TEST_CASE("IR of the standard cells matches the reviewed golden files", "[ir]") {
  auto [cell, dims, golden] = GENERATE(table<std::string, rnnc::DimensionArgs, std::string>({
      {"lstm", {{"I", 3}, {"H", 4}}, "lstm.ir"},
      {"gru", {{"I", 3}, {"H", 2}}, "gru.ir"},
  }));
  std::string source_dir = RNNC_SOURCE_DIR;
  std::string text = read_text(source_dir + "/dsl/" + cell + ".cell");
  rnnc::SourceFile file{"dsl/" + cell + ".cell", text};
  rnnc::DiagnosticEngine diagnostics(file);
  std::optional<rnnc::Graph> graph = rnnc::build_ir(file, dims, diagnostics);
  REQUIRE(graph);
  std::string printed = rnnc::print_graph(*graph);
  std::string golden_path = source_dir + "/tests/golden/" + golden;
  if (std::getenv("RNNC_UPDATE_GOLDEN")) std::ofstream(golden_path) << printed;
  CHECK(printed == read_text(golden_path));
}

TEST_CASE("common subexpressions are merged, commutative operands included", "[ir][passes]") {
  rnnc::Graph graph = ir_of(R"(cell c<H> {
  state h[H]
  param W[H, H], b[H]
  a = tanh(W @ h + b)
  d = tanh(b + W @ h)
  h' = a * d
})",
                            {{"H", 3}});
  CHECK(count_ops(graph, rnnc::Op::MatVec) == 1);
  CHECK(count_ops(graph, rnnc::Op::Tanh) == 1);
  CHECK(count_ops(graph, rnnc::Op::Add) == 1);
}

TEST_CASE("constants fold and identities disappear", "[ir][passes]") {
  rnnc::Graph graph = ir_of(R"(cell c<H> {
  state h[H]
  h' = (h * (3 - 2) + 0) / 1 - -(-(h * 0.5))
})",
                            {{"H", 2}});
  // Left: h, const 0.5, mul, sub. (3 - 2) folds to 1; * 1, + 0, / 1 vanish;
  // the double negation cancels.
  CHECK(count_ops(graph, rnnc::Op::Neg) == 0);
  CHECK(count_ops(graph, rnnc::Op::Div) == 0);
  CHECK(count_ops(graph, rnnc::Op::Add) == 0);
  CHECK(count_ops(graph, rnnc::Op::Mul) == 1);
  CHECK(count_ops(graph, rnnc::Op::Sub) == 1);
  CHECK(graph.nodes.size() == 4);
}

TEST_CASE("an identity that would shrink a vector is kept", "[ir][passes]") {
  // `0 + s` with a scalar s broadcast to [H] must stay a vector.
  rnnc::Graph graph = ir_of(R"(cell c<H> {
  state h[H]
  param s
  v = h * 0 + s
  h' = v
})",
                            {{"H", 2}});
  CHECK(graph.node(graph.next_states[0]).shape.rank == 1);
}

TEST_CASE("slices of slices and of concatenations are resolved", "[ir][passes]") {
  rnnc::Graph graph = ir_of(R"(cell c<H> {
  input x[H]
  state h[H]
  v = [x, h]
  w = v[H:2*H]
  h' = w[0:H] + v[0:H][1:H][0:1]
})",
                            {{"H", 3}});
  CHECK(count_ops(graph, rnnc::Op::Concat) == 0);
  CHECK(count_ops(graph, rnnc::Op::Slice) == 1);  // x[1:2]
  for (const rnnc::Node& node : graph.nodes) {
    if (node.op == rnnc::Op::Slice) {
      CHECK(graph.node(node.operands[0]).op == rnnc::Op::Input);
      CHECK(node.slice_begin.as_constant() == 1);
    }
  }
}

TEST_CASE("dead code is removed", "[ir][passes]") {
  rnnc::Graph graph = ir_of(R"(cell c<H> {
  state h[H]
  unused = exp(h)
  h' = tanh(h)
})",
                            {{"H", 2}});
  CHECK(count_ops(graph, rnnc::Op::Exp) == 0);
  CHECK(graph.nodes.size() == 2);
}

TEST_CASE("binding replaces every symbolic extent", "[ir][passes]") {
  std::string text = read_text(std::string(RNNC_SOURCE_DIR) + "/dsl/lstm.cell");
  rnnc::SourceFile file{"lstm.cell", text};
  rnnc::DiagnosticEngine diagnostics(file);
  auto checked = rnnc::parse_and_check(file, diagnostics);
  REQUIRE(checked);
  rnnc::Graph symbolic = rnnc::lower_cell(*checked);
  CHECK(symbolic.params[0].shape.to_string() == "[4*H, I]");
  CHECK_FALSE(symbolic.is_bound());
  rnnc::Graph bound = rnnc::bind_dimensions(symbolic, {{"I", 5}, {"H", 7}});
  CHECK(bound.is_bound());
  CHECK(bound.params[0].shape.to_string() == "[28, 5]");
  for (const rnnc::Node& node : bound.nodes) CHECK(node.shape.rows.is_constant());
}
