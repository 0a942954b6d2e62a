// The kernel plan: which values are hoisted, recurrent or deferred, and
// which products become one GEMM.
#include <catch2/catch.hpp>

#include "rnnc/autodiff.h"
#include "rnnc/kernel_layout.h"
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

// The plan of a kernel over `graph` alone, for 8-float vectors.
rnnc::SequencePlan plan_of(const rnnc::Graph& graph, std::vector<NodeId> sinks,
                           rnnc::TimeDirection direction = rnnc::TimeDirection::Forward) {
  rnnc::GemmSchedule schedule = rnnc::gemm_schedule_for_width(8);
  rnnc::PackedWeights packing = rnnc::plan_packed_weights({&graph}, schedule);
  return rnnc::plan_sequence(graph, std::move(sinks), direction, schedule, packing);
}

}  // namespace

TEST_CASE("kernel plan: products of different matrices with one operand are merged per phase", "[plan]") {
  rnnc::Graph graph = rnnc::testing::ir_of(
      "cell c<I, H> {\n input x[I]\n state h[H]\n param W_a[H, I], W_b[H, I], U_a[H, H], U_b[H, H], V[H, H]\n"
      " a = W_a @ x + U_a @ h\n b = W_b @ x + U_b @ h\n h' = tanh(a) * sigmoid(b)\n output y = V @ h'\n}\n",
      {{"I", 5}, {"H", 3}});
  rnnc::SequencePlan plan = plan_of(graph, {graph.outputs[0].node});
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
  rnnc::Graph graph = rnnc::testing::ir_of(*rnnc::read_source_file(path), {{"I", 4}, {"H", 6}});
  rnnc::SequencePlan forward = plan_of(graph, {graph.outputs[0].node});
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
  rnnc::SequencePlan reverse = plan_of(backward.graph, {}, rnnc::TimeDirection::Backward);
  REQUIRE(reverse.product_groups.size() == 1);
  CHECK(matrices_of(backward.graph, reverse.product_groups[0]) == std::vector<std::string>{"W_u", "W_x"});
  for (NodeId id : reverse.product_groups[0]) {
    CHECK(backward.graph.node(id).operands[0] == backward.graph.node(reverse.product_groups[0][0]).operands[0]);
    CHECK(reverse.values[std::size_t(id)].phase == Phase::Deferred);
  }
}

TEST_CASE("kernel plan: a state-independent pointwise value is hoisted only when a hoisted product reads it",
          "[plan]") {
  // tanh(x) feeds the hoisted product W @ tanh(x): hoisted. W @ tanh(x) + b
  // feeds only the recurrence and sigmoid(x) only the output: computed in
  // the loop and after it. The next state of c does not depend on the state
  // but is staged in the loop: recurrent.
  rnnc::Graph graph = rnnc::testing::ir_of(
      "cell c<I, H> {\n input x[I]\n state h[H], c[I]\n param W[H, I], U[H, H], b[H]\n"
      " t = tanh(x)\n a = W @ t + b\n h' = tanh(a + U @ h)\n c' = 2 * x\n output y = sigmoid(x)\n}\n",
      {{"I", 5}, {"H", 3}});
  std::vector<Phase> phases = rnnc::plan_phases(graph);
  auto phase_of_op = [&](rnnc::Op op, NodeId operand) {
    for (NodeId id = 0; id < NodeId(graph.nodes.size()); ++id) {
      if (graph.node(id).op == op && graph.node(id).operands[0] == operand) return phases[std::size_t(id)];
    }
    FAIL("no such node");
    return Phase::Leaf;
  };
  NodeId x = -1, product = -1;
  for (NodeId id = 0; id < NodeId(graph.nodes.size()); ++id) {
    const rnnc::Node& node = graph.node(id);
    if (node.op == rnnc::Op::Input) x = id;
    if (node.op == rnnc::Op::MatVec && graph.params[std::size_t(node.symbol)].name == "W") product = id;
  }
  REQUIRE(x >= 0);
  REQUIRE(product >= 0);
  CHECK(phase_of_op(rnnc::Op::Tanh, x) == Phase::Hoisted);
  CHECK(phases[std::size_t(product)] == Phase::Hoisted);
  CHECK(phase_of_op(rnnc::Op::Add, product) == Phase::Recurrent);
  CHECK(phase_of_op(rnnc::Op::Sigmoid, x) == Phase::Deferred);
  CHECK(phases[std::size_t(graph.next_states[1])] == Phase::Recurrent);
}

TEST_CASE("kernel plan: the LSTM's backward keeps no derivative factor for all rows", "[plan]") {
  // Before the rule above, i (1 - i) and the like were hoisted: 5H more
  // floats per row written and read back.
  std::string path = std::string(RNNC_SOURCE_DIR) + "/dsl/lstm.cell";
  const std::int64_t I = 4, H = 6;
  rnnc::Graph graph = rnnc::testing::ir_of(*rnnc::read_source_file(path), {{"I", I}, {"H", H}});
  rnnc::BackwardStep backward = rnnc::differentiate(graph);
  rnnc::SequencePlan reverse = plan_of(backward.graph, {}, rnnc::TimeDirection::Backward);
  // The gate adjoints (4H), read by the products after the loop, and the
  // input adjoint (I), which one of them computes; nothing else.
  CHECK(reverse.all_rows_floats == 4 * H + I);
}

TEST_CASE("kernel plan: values read only in their own loop over rows live in one row's buffer", "[plan]") {
  // After the loop, s = sigmoid(h) and m = 3 s are read only by values of
  // the same row: row-local, m beside s (s is still read when m is
  // written), each 16-float aligned. p = m m + 1 is read by the product
  // V @ p over all rows, and h' is the next state: neither is (m m is
  // inlined into p).
  const std::int64_t H = 6;
  rnnc::Graph graph = rnnc::testing::ir_of(
      "cell c<I, H> {\n input x[I]\n state h[H]\n param W[H, I], U[H, H], V[H, H]\n"
      " h' = tanh(W @ x + U @ h)\n s = sigmoid(h)\n m = 3 * s\n p = m * m + 1\n output y = V @ p\n}\n",
      {{"I", 5}, {"H", H}});
  rnnc::SequencePlan plan = plan_of(graph, {graph.outputs[0].node});
  auto placement_of = [&](rnnc::Op op) -> const rnnc::ValuePlacement& {
    for (NodeId id = 0; id < NodeId(graph.nodes.size()); ++id) {
      if (graph.node(id).op == op && plan.values[std::size_t(id)].phase == Phase::Deferred) {
        return plan.values[std::size_t(id)];
      }
    }
    FAIL("no such node");
    return plan.values[0];
  };
  const rnnc::ValuePlacement& s = placement_of(rnnc::Op::Sigmoid);
  const rnnc::ValuePlacement& m = placement_of(rnnc::Op::Mul);
  const rnnc::ValuePlacement& p = placement_of(rnnc::Op::Add);
  CHECK(s.row_local);
  CHECK(m.row_local);
  CHECK_FALSE(s.all_rows);
  CHECK(s.offset == 0);
  CHECK(m.offset == 16);
  CHECK(plan.row_local_floats == 32);
  CHECK_FALSE(p.row_local);
  CHECK(p.all_rows);
  CHECK_FALSE(plan.values[std::size_t(graph.next_states[0])].row_local);
}

TEST_CASE("kernel plan: arithmetic read once in its own loop is inlined into its reader", "[plan]") {
  // The LSTM's z = W_ih x + b_ih + W_hh h + b_hh: its three sums are
  // inlined, z's four slices each read once by a gate's function. The
  // gates themselves are not (transcendental), c' is a next state, and
  // the products are stored. (H = 16: a step by unit blocks, all of its
  // pointwise values in one loop after its products.)
  std::string path = std::string(RNNC_SOURCE_DIR) + "/dsl/lstm.cell";
  rnnc::Graph graph = rnnc::testing::ir_of(*rnnc::read_source_file(path), {{"I", 4}, {"H", 16}});
  rnnc::SequencePlan plan = plan_of(graph, {graph.outputs[0].node});
  REQUIRE(plan.unit_blocks);
  int inlined_sums = 0;
  for (NodeId id = 0; id < NodeId(graph.nodes.size()); ++id) {
    const rnnc::Node& node = graph.node(id);
    const rnnc::ValuePlacement& placement = plan.values[std::size_t(id)];
    INFO("node " << id);
    if (node.op == rnnc::Op::Add && rnnc::element_count(node.shape) == 64) {
      CHECK(placement.inlined);
      inlined_sums += placement.inlined;
    }
    if (node.op == rnnc::Op::Sigmoid || node.op == rnnc::Op::Tanh || node.op == rnnc::Op::MatVec) {
      CHECK_FALSE(placement.inlined);
    }
    if (placement.inlined) CHECK_FALSE((placement.row_local || placement.all_rows));
  }
  CHECK(inlined_sums == 3);
  CHECK_FALSE(plan.values[std::size_t(graph.next_states[1])].inlined);
  // Read twice (d d), or through a one-element view that a longer value
  // broadcasts (e[0:1] h), a value is stored, not inlined.
  rnnc::Graph twice = rnnc::testing::ir_of(
      "cell c<H> {\n state h[H], g[H]\n param U[H, H]\n d = U @ h + 1\n h' = d * d\n"
      " e = U @ g + 1\n g' = e[0:1] * g\n}\n",
      {{"H", 8}});
  rnnc::SequencePlan twice_plan = plan_of(twice, {});
  for (NodeId id = 0; id < NodeId(twice.nodes.size()); ++id) CHECK_FALSE(twice_plan.values[std::size_t(id)].inlined);
}

TEST_CASE("kernel plan: the step period (blocks of hidden units) of the shipped cells", "[plan]") {
  // U = H where every value of the step is elementwise over the gate blocks
  // of products of states; none where a step reads a whole vector (a mean,
  // a product of a value of the step, a product of a concatenation).
  const std::int64_t H = 24;
  std::vector<std::pair<std::string, std::int64_t>> expected = {
      {"rnn", H}, {"lstm", H}, {"gru", H}, {"peephole_lstm", H}, {"lstm_per_gate", H}, {"time_lstm", H},
      {"layernorm_lstm", 0}, {"gru_classic", 0}, {"lstm_projection", 0}, {"cifg_lstm", 0}};
  for (const auto& [name, unit] : expected) {
    auto source = rnnc::read_source_file(std::string(RNNC_SOURCE_DIR) + "/dsl/" + name + ".cell");
    REQUIRE(source);
    rnnc::DimensionArgs dimensions = {{"I", 5}, {"H", H}};
    if (name == "lstm_projection") dimensions.push_back({"P", 8});
    rnnc::Graph graph = rnnc::testing::ir_of(*source, dimensions);
    rnnc::SequencePlan plan = plan_of(graph, {graph.outputs[0].node});
    INFO(name);
    CHECK(plan.step_unit == unit);
  }
}

TEST_CASE("kernel plan: the products' packed weights and the schedule's choices are in the plan", "[plan]") {
  auto source = rnnc::read_source_file(std::string(RNNC_SOURCE_DIR) + "/dsl/lstm_per_gate.cell");
  REQUIRE(source);
  const std::int64_t I = 40, H = 64;
  rnnc::Graph graph = rnnc::testing::ir_of(*source, {{"I", I}, {"H", H}});
  for (int width : {8, 16}) {
    INFO("vector width " << width);
    rnnc::KernelLayout layout = rnnc::plan_kernels(graph, rnnc::gemm_schedule_for_width(width), {});
    const rnnc::SequencePlan& plan = layout.inference;
    // The four input products are one GEMM of 4H columns and depth I, the
    // four recurrent ones another of depth H, each member H columns after
    // the last; both read the packed weights at the offset packing gives.
    for (const auto& group : plan.product_groups) {
      for (std::size_t m = 0; m < group.size(); ++m) {
        const rnnc::ProductPlan& product = plan.product(group[m]);
        CHECK(product.owner == group[0]);
        CHECK(product.n == 4 * H);
        CHECK(product.member_column == std::int64_t(m) * H);
        CHECK(product.packed_offset == layout.packing.offset(product.stack, product.transposed));
      }
    }
    CHECK(plan.product(plan.product_groups[0][0]).k == I);
    CHECK(plan.product(plan.product_groups[1][0]).k == H);
    // Blocks of H = 64 hidden units are whole panels of 16 or 64 columns.
    CHECK(plan.unit_blocks);
    CHECK(layout.backward_kernel.direction == rnnc::TimeDirection::Backward);
    // The weight gradients pack the widest of their operands vᵀ (x: I, h: H)
    // into panels, per row; the forward kernels have none.
    CHECK(layout.backward_kernel.gradient_floats == rnnc::packed_floats(H, 1, layout.schedule));
    CHECK(layout.inference.gradient_floats == 0);
  }
  // H = 48 is a multiple of the 16-column AVX2 panel, not of the 64-column
  // AVX-512 one.
  rnnc::Graph narrow = rnnc::testing::ir_of(*source, {{"I", I}, {"H", 48}});
  CHECK_FALSE(rnnc::plan_kernels(narrow, rnnc::gemm_schedule_for_width(16), {}).inference.unit_blocks);
  CHECK(rnnc::plan_kernels(narrow, rnnc::gemm_schedule_for_width(8), {}).inference.unit_blocks);
}
