#include "rnnc/kernel_layout.h"

#include <algorithm>

#include <fmt/format.h>

#include "rnnc/cell_bounds.h"
#include "rnnc/checker.h"

namespace rnnc {

std::int64_t widest_row_floats(const KernelLayout& layout) {
  std::int64_t widest = layout.workspace.saved_floats + layout.workspace.state_floats + 1;
  for (const SequencePlan* plan : {&layout.inference, &layout.training, &layout.backward_kernel}) {
    widest = std::max(widest, plan->scratch_floats_per_row() + plan->scratch_floats_per_sample());
  }
  const Graph& forward = layout.forward;
  for (const Symbol& symbol : forward.inputs) widest = std::max(widest, element_count(symbol.shape));
  for (const Symbol& symbol : forward.states) widest = std::max(widest, element_count(symbol.shape));
  for (const Output& output : forward.outputs) widest = std::max(widest, element_count(forward.node(output.node).shape));
  return widest;
}

std::string layout_bounds_error(const KernelLayout& layout) {
  const std::string cell = fmt::format("cell '{}' with {}", layout.forward.cell_name,
                                       describe_binding(layout.forward.dimension_values));
  if (layout.packed_weight_floats > kMaxCellFloats) {
    return fmt::format("{}: its packed weights need {} floats, more than the limit {}", cell,
                       layout.packed_weight_floats, kMaxCellFloats);
  }
  if (std::int64_t widest = widest_row_floats(layout); widest > kMaxCellFloats) {
    return fmt::format("{}: its kernels need {} floats per step and sample, more than the limit {}", cell, widest,
                       kMaxCellFloats);
  }
  return {};
}

}  // namespace rnnc
