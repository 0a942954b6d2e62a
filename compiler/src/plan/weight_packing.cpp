#include "rnnc/weight_packing.h"

#include "rnnc/internal_error.h"
#include "rnnc/kernel_plan.h"

namespace rnnc {

std::pair<std::int64_t, std::int64_t> gemm_extent(const Symbol& param, bool transposed) {
  std::int64_t rows = param.shape.rows.constant_value(), cols = param.shape.cols.constant_value();
  return transposed ? std::pair{cols, rows} : std::pair{rows, cols};
}

std::int64_t PackedWeights::offset(const std::vector<int>& params, bool transposed) const {
  for (const Form& form : forms) {
    if (form.params == params && form.transposed == transposed) return form.offset;
  }
  RNNC_ASSERT(false, "a matrix product whose weights were not packed");
}

std::vector<std::int64_t> stacked_columns(const std::vector<Symbol>& params, const std::vector<int>& stack,
                                          bool transposed) {
  std::vector<std::int64_t> columns;
  for (std::size_t i = 0; i < stack.size(); ++i) {
    std::int64_t n = gemm_extent(params[std::size_t(stack[i])], transposed).first;
    if (i + 1 < stack.size()) n = (n + kProductAlignment - 1) / kProductAlignment * kProductAlignment;
    columns.push_back(n);
  }
  return columns;
}

PackedWeights plan_packed_weights(const std::vector<const Graph*>& graphs, const GemmSchedule& schedule) {
  PackedWeights packing;
  auto add = [&](const Graph& graph, std::vector<int> stack, bool transposed) {
    for (const PackedWeights::Form& form : packing.forms) {
      if (form.params == stack && form.transposed == transposed) return;
    }
    std::int64_t k = gemm_extent(graph.params[std::size_t(stack[0])], transposed).second;
    std::int64_t columns = 0;
    for (std::int64_t n : stacked_columns(graph.params, stack, transposed)) columns += n;
    packing.forms.push_back({stack, transposed, packing.floats});
    packing.floats += packed_floats(columns, k, schedule);
  };
  for (const Graph* graph : graphs) {
    std::vector<std::vector<NodeId>> groups = merged_products(*graph, plan_phases(*graph));
    std::vector<bool> grouped(graph->nodes.size(), false);
    for (const std::vector<NodeId>& group : groups) {
      std::vector<int> stack;
      for (NodeId member : group) {
        stack.push_back(graph->node(member).symbol);
        grouped[std::size_t(member)] = true;
      }
      add(*graph, stack, graph->node(group[0]).op == Op::MatVecT);
    }
    for (std::size_t id = 0; id < graph->nodes.size(); ++id) {
      const Node& node = graph->nodes[id];
      if (op_class(node.op) == OpClass::MatVec && !grouped[id]) add(*graph, {node.symbol}, node.op == Op::MatVecT);
    }
  }
  return packing;
}

}  // namespace rnnc
