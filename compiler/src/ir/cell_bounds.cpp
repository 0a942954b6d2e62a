#include "rnnc/cell_bounds.h"

#include <fmt/format.h>

#include "rnnc/checker.h"

namespace rnnc {

bool check_cell_bounds(const Graph& graph, const CellAst& ast, DiagnosticEngine& diagnostics) {
  // Each term is at most kMaxExtent and a graph has far fewer than 2^32
  // nodes, so neither sum overflows.
  std::int64_t parameters = 0, step_values = 0;
  for (const Symbol& param : graph.params) parameters += element_count(param.shape);
  for (const Node& node : graph.nodes) {
    if (node.op != Op::Param) step_values += element_count(node.shape);
  }
  const std::string binding = describe_binding(graph.dimension_values);
  bool ok = true;
  if (parameters > kMaxCellFloats) {
    diagnostics.error(cell_header_span(ast),
                      fmt::format("cell '{}' has {} parameter floats in all with {}, more than the limit {}",
                                  graph.cell_name, parameters, binding, kMaxCellFloats));
    ok = false;
  }
  if (step_values > kMaxCellFloats) {
    diagnostics.error(cell_header_span(ast),
                      fmt::format("one step of cell '{}' computes {} floats per sample with {}, more than the limit {}",
                                  graph.cell_name, step_values, binding, kMaxCellFloats));
    ok = false;
  }
  return ok;
}

}  // namespace rnnc
