// The kernel plan: which values are hoisted, recurrent or deferred, and
// which products become one GEMM.
#include <catch2/catch.hpp>

#include "rnnc/autodiff.h"
#include "rnnc/kernel_plan.h"
#include "support/cells.h"

using rnnc::NodeId;
using rnnc::Phase;

namespace {

std::vector<std::string> matrices_of(const rnnc::Graph& graph, const std::vector<NodeId>& group) {
  std::vector<std::string> names;
  for (NodeId id : group) names.push_back(graph.params[std::size_t(graph.node(id).symbol)].name);
  return names;
}

}  // namespace

TEST_CASE("kernel plan: products of different matrices with one operand are merged per phase", "[plan]") {
  rnnc::Graph graph = rnnc::testing::ir_of(
      "cell c<I, H> {\n input x[I]\n state h[H]\n param W_a[H, I], W_b[H, I], U_a[H, H], U_b[H, H], V[H, H]\n"
      " a = W_a @ x + U_a @ h\n b = W_b @ x + U_b @ h\n h' = tanh(a) * sigmoid(b)\n output y = V @ h'\n}\n",
      {{"I", 5}, {"H", 3}});
  rnnc::SequencePlan plan = rnnc::plan_sequence(graph, {graph.outputs[0].node});
  REQUIRE(plan.product_groups.size() == 2);
  CHECK(matrices_of(graph, plan.product_groups[0]) == std::vector<std::string>{"W_a", "W_b"});
  CHECK(matrices_of(graph, plan.product_groups[1]) == std::vector<std::string>{"U_a", "U_b"});
  CHECK(plan.values[std::size_t(plan.product_groups[0][0])].phase == Phase::Hoisted);
  CHECK(plan.values[std::size_t(plan.product_groups[1][0])].phase == Phase::Recurrent);
  // Side by side, the first padded to the alignment, in one buffer.
  for (const auto& group : plan.product_groups) {
    const rnnc::ValuePlacement& first = plan.values[std::size_t(group[0])];
    const rnnc::ValuePlacement& second = plan.values[std::size_t(group[1])];
    CHECK(first.all_rows == second.all_rows);
    CHECK(second.offset == first.offset + rnnc::kProductAlignment);
  }
}

TEST_CASE("kernel plan: the per-gate LSTM's eight products are two GEMMs, its backward's are merged too", "[plan]") {
  std::string path = std::string(RNNC_SOURCE_DIR) + "/dsl/lstm_per_gate.cell";
  std::string error;
  rnnc::Graph graph = rnnc::testing::ir_of(*rnnc::read_source_file(path, error), {{"I", 4}, {"H", 6}});
  rnnc::SequencePlan forward = rnnc::plan_sequence(graph, {graph.outputs[0].node});
  REQUIRE(forward.product_groups.size() == 2);
  CHECK(forward.product_groups[0].size() == 4);
  CHECK(forward.product_groups[1].size() == 4);

}

TEST_CASE("kernel plan: backward products of one adjoint with different matrices are merged", "[plan]") {
  // dz reaches both inputs: dx = W_xᵀ dz and du = W_uᵀ dz, both after the
  // loop; U_hᵀ dz is needed by the recurrence, so it stays apart.
  rnnc::Graph graph = rnnc::testing::ir_of(
      "cell c<I, H> {\n input x[I], u[I]\n state h[H]\n param W_x[H, I], W_u[H, I], U_h[H, H]\n"
      " h' = tanh(W_x @ x + W_u @ u + U_h @ h)\n output y = h'\n}\n",
      {{"I", 5}, {"H", 3}});
  rnnc::BackwardStep backward = rnnc::differentiate(graph);
  rnnc::SequencePlan reverse = rnnc::plan_sequence(backward.graph, {});
  REQUIRE(reverse.product_groups.size() == 1);
  CHECK(matrices_of(backward.graph, reverse.product_groups[0]) == std::vector<std::string>{"W_u", "W_x"});
  for (NodeId id : reverse.product_groups[0]) {
    CHECK(backward.graph.node(id).operands[0] == backward.graph.node(reverse.product_groups[0][0]).operands[0]);
    CHECK(reverse.values[std::size_t(id)].phase == Phase::Deferred);
  }
}
