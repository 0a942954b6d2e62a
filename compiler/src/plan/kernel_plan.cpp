#include "rnnc/kernel_plan.h"

#include <algorithm>
#include <numeric>

#include "rnnc/internal_error.h"

namespace rnnc {

NodeId storage_owner(const Graph& graph, NodeId id) {
  while (graph.node(id).op == Op::Slice) id = graph.node(id).operands[0];
  return id;
}

std::int64_t storage_offset(const Graph& graph, NodeId id) {
  std::int64_t offset = 0;
  for (; graph.node(id).op == Op::Slice; id = graph.node(id).operands[0]) {
    offset += graph.node(id).slice_begin.constant_value();
  }
  return offset;
}

namespace {

// Only a product gains from running over all T·B rows at once (one large
// GEMM); a state-independent pointwise value gains nothing there and costs
// a write and a read of T·B rows (in a backward step, the derivative
// factors such as i (1 - i) would cost 2.5 KB per row at H = 512). So a
// pointwise vector stays Hoisted only when a Hoisted value (a product, or
// what a product reads) reads it; the others are computed where they are
// used: in the time loop when a Recurrent value reads them (through slices
// too), after it otherwise. Scalars stay Hoisted: one float per row, and a
// step whose values are all vectors can run by blocks of hidden units
// (step_unit).
void compute_pointwise_where_used(const Graph& graph, std::vector<Phase>& phases) {
  const std::size_t count = graph.nodes.size();
  std::vector<bool> read_by_hoisted(count, false), read_in_loop(count, false);
  for (NodeId id : graph.next_states) read_in_loop[std::size_t(id)] = true;  // staged in the loop
  // Users come after their operands: going backwards, a node's users are
  // settled before it is.
  for (std::size_t id = count; id-- > 0;) {
    const Node& node = graph.nodes[id];
    if (phases[id] == Phase::Hoisted && op_class(node.op) != OpClass::MatVec && !read_by_hoisted[id] &&
        element_count(node.shape) > 1) {
      phases[id] = read_in_loop[id] ? Phase::Recurrent : Phase::Deferred;
    }
    bool hoisted = phases[id] == Phase::Hoisted || (phases[id] == Phase::View && read_by_hoisted[id]);
    bool in_loop = phases[id] == Phase::Recurrent || (phases[id] == Phase::View && read_in_loop[id]);
    for (NodeId operand : node.operands) {
      if (hoisted) read_by_hoisted[std::size_t(operand)] = true;
      if (in_loop) read_in_loop[std::size_t(operand)] = true;
    }
  }
}

// SequencePlan::step_unit.
std::int64_t step_unit(const Graph& graph, const SequencePlan& plan) {
  std::int64_t unit = 0;
  auto divide = [&](std::int64_t length) { unit = std::gcd(unit, length); };
  for (NodeId id = 0; id < NodeId(graph.nodes.size()); ++id) {
    const Node& node = graph.node(id);
    const ValuePlacement& placement = plan.values[std::size_t(id)];
    if (placement.phase == Phase::View) {
      const ValuePlacement& owner = plan.values[std::size_t(storage_owner(graph, id))];
      if (owner.phase == Phase::Recurrent) {
        divide(node.slice_begin.constant_value());
        divide(element_count(node.shape));
      }
      continue;
    }
    if (placement.phase != Phase::Recurrent) continue;
    divide(element_count(node.shape));
    switch (op_class(node.op)) {
      case OpClass::Unary:
      case OpClass::Binary:
      case OpClass::Broadcast: break;
      case OpClass::MatVec:
        // A state is whole when the step starts; a value of the step may not be.
        if (graph.node(node.operands[0]).op != Op::State) return 0;
        break;
      default: return 0;
    }
  }
  for (const Symbol& state : graph.states) divide(element_count(state.shape));
  for (NodeId sink : plan.sinks) {
    if (plan.values[std::size_t(storage_owner(graph, sink))].phase == Phase::Recurrent) {
      divide(element_count(graph.node(sink).shape));
    }
  }
  return unit;
}

// SequencePlan::products.
std::vector<ProductPlan> plan_products(const Graph& graph, const SequencePlan& plan, const PackedWeights& packing) {
  std::vector<ProductPlan> products;
  for (NodeId id = 0; id < NodeId(graph.nodes.size()); ++id) {
    const Node& node = graph.node(id);
    if (op_class(node.op) != OpClass::MatVec) continue;
    ProductPlan product{id, id, {node.symbol}, node.op == Op::MatVecT, 0, 0, 0, 0};
    for (const std::vector<NodeId>& group : plan.product_groups) {
      if (std::find(group.begin(), group.end(), id) == group.end()) continue;
      product.stack.clear();
      for (NodeId member : group) product.stack.push_back(graph.node(member).symbol);
      product.owner = group.front();
    }
    product.k = gemm_extent(graph.params[std::size_t(node.symbol)], product.transposed).second;
    for (std::int64_t columns : stacked_columns(graph.params, product.stack, product.transposed)) product.n += columns;
    product.member_column =
        plan.values[std::size_t(id)].offset - plan.values[std::size_t(product.owner)].offset;
    product.packed_offset = packing.offset(product.stack, product.transposed);
    products.push_back(std::move(product));
  }
  return products;
}

// SequencePlan::gradient_floats: each weight gradient g vᵀ packs vᵀ.
std::int64_t gradient_floats(const Graph& graph, const GemmSchedule& schedule) {
  std::int64_t floats = 0;
  for (const ParamGradient& gradient : graph.param_gradients) {
    const Node& node = graph.node(gradient.node);
    if (node.op == Op::Outer) floats = std::max(floats, packed_floats(node.shape.cols.constant_value(), 1, schedule));
  }
  return floats;
}

// Marks what is read after the time loop as kept for all rows: the
// operands of Deferred and Gradient values, vector gradients, and sinks.
void keep_what_later_phases_read(const Graph& graph, SequencePlan& plan) {
  auto keep = [&](NodeId id) {
    NodeId owner = storage_owner(graph, id);
    const Node& node = graph.node(owner);
    if (node.op == Op::State || plan.values[std::size_t(owner)].phase == Phase::Recurrent) {
      plan.values[std::size_t(owner)].all_rows = true;
    }
  };
  for (std::size_t id = 0; id < graph.nodes.size(); ++id) {
    Phase phase = plan.values[id].phase;
    if (phase != Phase::Deferred && phase != Phase::Gradient) continue;
    for (NodeId operand : graph.nodes[id].operands) keep(operand);
  }
  for (const ParamGradient& gradient : graph.param_gradients) {
    if (plan.values[std::size_t(gradient.node)].phase != Phase::Gradient) keep(gradient.node);
  }
  for (NodeId sink : plan.sinks) {
    // A sink computed in the time loop is written there; a state read as a
    // sink is copied out there too, before the next state replaces it.
    if (graph.node(storage_owner(graph, sink)).op == Op::State) keep(sink);
  }
}

// The loop over rows each pointwise value is computed in: its phase and the
// number of products of that phase before it (sequence_codegen.h), or, in a
// step by blocks of hidden units, the step's one loop after its products.
std::vector<int> pointwise_loops(const Graph& graph, const SequencePlan& plan) {
  std::vector<int> loop_of(graph.nodes.size(), 0);
  std::vector<int> products_before(std::size_t(Phase::Gradient) + 1, 0);
  for (std::size_t id = 0; id < graph.nodes.size(); ++id) {
    Phase phase = plan.values[id].phase;
    bool one_loop = plan.unit_blocks && phase == Phase::Recurrent;
    loop_of[id] = one_loop ? 0 : products_before[std::size_t(phase)];
    if (op_class(graph.nodes[id].op) == OpClass::MatVec) ++products_before[std::size_t(phase)];
  }
  return loop_of;
}

bool elementwise(Op op) { return op_class(op) == OpClass::Unary || op_class(op) == OpClass::Binary; }

// The elementwise functions of codegen/vector_math.h: dozens of
// instructions and constants each.
bool transcendental(Op op) {
  return op == Op::Sigmoid || op == Op::Tanh || op == Op::Exp || op == Op::Log || op == Op::Softplus;
}

// The values of a loop over rows (Hoisted, Recurrent or Deferred, not kept
// for all rows) that `eligible` accepts and that the kernel does not write
// out: not a sink, a next state nor a gradient.
template <class Eligible>
std::vector<bool> unwritten_pointwise_values(const Graph& graph, const SequencePlan& plan, Eligible eligible) {
  std::vector<bool> result(graph.nodes.size(), false);
  for (std::size_t id = 0; id < graph.nodes.size(); ++id) {
    Phase phase = plan.values[id].phase;
    result[id] = (phase == Phase::Hoisted || phase == Phase::Recurrent || phase == Phase::Deferred) &&
                 !plan.values[id].all_rows && eligible(graph.nodes[id]);
  }
  auto exclude = [&](NodeId id) { result[std::size_t(storage_owner(graph, id))] = false; };
  for (NodeId sink : plan.sinks) exclude(sink);
  for (NodeId next : graph.next_states) exclude(next);
  for (const ParamGradient& gradient : graph.param_gradients) exclude(gradient.node);
  return result;
}

// ValuePlacement::inlined (see SequencePlan::values).
void inline_single_use_values(const Graph& graph, SequencePlan& plan) {
  const std::size_t count = graph.nodes.size();
  const std::vector<int> loop_of = pointwise_loops(graph, plan);
  std::vector<bool> candidate = unwritten_pointwise_values(graph, plan, [&](const Node& node) {
    return elementwise(node.op) && !transcendental(node.op) && element_count(node.shape) > 1;
  });
  // Every read of a value, directly or through views: the elements
  // [begin, end) it covers. A candidate's reads must all be by elementwise
  // values of its loop, element by element (not broadcast), and cover
  // disjoint elements.
  struct Read {
    std::int64_t begin, end;
  };
  std::vector<std::vector<Read>> reads(count);
  for (std::size_t reader = 0; reader < count; ++reader) {
    const Node& node = graph.nodes[reader];
    if (node.op == Op::Slice) continue;  // a view reads nothing itself
    for (NodeId operand : node.operands) {
      auto o = std::size_t(storage_owner(graph, operand));
      if (!candidate[o]) continue;
      std::int64_t begin = storage_offset(graph, operand);
      // A one-element view read by a longer value is broadcast, not read elementwise.
      bool same_loop = elementwise(node.op) && plan.values[reader].phase == plan.values[o].phase &&
                       loop_of[reader] == loop_of[o] &&
                       element_count(graph.node(operand).shape) == element_count(node.shape);
      if (!same_loop) candidate[o] = false;
      reads[o].push_back({begin, begin + element_count(graph.node(operand).shape)});
    }
  }
  for (std::size_t id = 0; id < count; ++id) {
    std::vector<Read>& read = reads[id];
    std::sort(read.begin(), read.end(), [](const Read& a, const Read& b) { return a.begin < b.begin; });
    bool once = !read.empty();
    for (std::size_t r = 1; r < read.size(); ++r) once = once && read[r - 1].end <= read[r].begin;
    plan.values[id].inlined = candidate[id] && once;
  }
}

// SequencePlan::row_local_floats: which values are row-local, and their
// offsets, first fit (64-byte aligned) among the row-local values still
// read at their first writer.
void place_row_local_values(const Graph& graph, SequencePlan& plan) {
  const std::size_t count = graph.nodes.size();
  const std::vector<int> loop_of = pointwise_loops(graph, plan);
  std::vector<bool> candidate =
      unwritten_pointwise_values(graph, plan, [&](const Node& node) { return op_class(node.op) != OpClass::MatVec; });
  for (std::size_t id = 0; id < count; ++id) candidate[id] = candidate[id] && !plan.values[id].inlined;
  // An inlined value is computed where its readers are (several, when each
  // reads a slice), so what it reads is read there: its evaluation point is
  // its last reader's.
  std::vector<std::size_t> evaluated_at(count);
  for (std::size_t id = count; id-- > 0;) evaluated_at[id] = id;
  for (std::size_t reader = count; reader-- > 0;) {
    const Node& node = graph.nodes[reader];
    if (node.op == Op::Slice) continue;
    for (NodeId operand : node.operands) {
      auto owner = std::size_t(storage_owner(graph, operand));
      if (plan.values[owner].inlined) evaluated_at[owner] = std::max(evaluated_at[owner], evaluated_at[reader]);
    }
  }
  std::vector<std::size_t> last_reader(count, 0);
  for (std::size_t reader = 0; reader < count; ++reader) {
    const Node& node = graph.nodes[reader];
    if (node.op == Op::Slice) continue;  // a view reads nothing itself
    for (NodeId operand : node.operands) {
      auto owner = std::size_t(storage_owner(graph, operand));
      bool same_loop = op_class(node.op) != OpClass::MatVec &&
                       plan.values[reader].phase == plan.values[owner].phase && loop_of[reader] == loop_of[owner];
      if (!same_loop) candidate[owner] = false;
      last_reader[owner] = std::max(last_reader[owner], evaluated_at[reader]);
    }
  }
  constexpr std::int64_t alignment = 16;  // floats
  struct Live {
    std::int64_t begin, end;
    std::size_t last_reader;
  };
  std::vector<Live> live;
  for (std::size_t id = 0; id < count; ++id) {
    if (!candidate[id]) continue;
    std::erase_if(live, [&](const Live& value) { return value.last_reader < id; });
    std::sort(live.begin(), live.end(), [](const Live& a, const Live& b) { return a.begin < b.begin; });
    std::int64_t length = (element_count(graph.nodes[id].shape) + alignment - 1) / alignment * alignment;
    std::int64_t offset = 0;
    for (const Live& value : live) {
      if (offset + length <= value.begin) break;
      offset = std::max(offset, value.end);
    }
    if (offset + length > kRowLocalFloatsLimit) continue;
    live.push_back({offset, offset + length, last_reader[id]});
    plan.values[id].row_local = true;
    plan.values[id].offset = offset;
    plan.row_local_floats = std::max(plan.row_local_floats, offset + length);
  }
}

// The offsets of the values in the all-rows and step buffers; a merged
// product's results side by side (see the file comment).
void assign_offsets(const Graph& graph, SequencePlan& plan) {
  const std::size_t count = graph.nodes.size();
  for (ValuePlacement& placement : plan.values) {
    bool computed_for_all_rows = placement.phase == Phase::Hoisted || placement.phase == Phase::Deferred;
    if (computed_for_all_rows && !placement.row_local && !placement.inlined) placement.all_rows = true;
  }
  // A merged product's results share one buffer, so all are kept when one is.
  std::vector<const std::vector<NodeId>*> group_of(count, nullptr);
  for (const std::vector<NodeId>& group : plan.product_groups) {
    bool kept = false;
    for (NodeId member : group) kept = kept || plan.values[std::size_t(member)].all_rows;
    for (NodeId member : group) {
      plan.values[std::size_t(member)].all_rows = kept;
      group_of[std::size_t(member)] = &group;
    }
  }
  for (std::size_t id = 0; id < count; ++id) {
    ValuePlacement& placement = plan.values[id];
    std::int64_t length = element_count(graph.nodes[id].shape);
    if (const std::vector<NodeId>* group = group_of[id]) {
      if (group->front() != NodeId(id)) continue;  // placed with the first
      length = 0;
      for (std::size_t m = 0; m < group->size(); ++m) {
        std::int64_t member_length = element_count(graph.node((*group)[m]).shape);
        plan.values[std::size_t((*group)[m])].offset = length;  // relative, made absolute below
        if (m + 1 < group->size()) {
          member_length = (member_length + kProductAlignment - 1) / kProductAlignment * kProductAlignment;
        }
        length += member_length;
      }
    }
    if (placement.phase == Phase::View || placement.phase == Phase::Gradient || placement.row_local ||
        placement.inlined) {
      continue;
    }
    std::int64_t start = 0;
    if (placement.all_rows) {
      start = plan.all_rows_floats;
      plan.all_rows_floats += length;
    } else if (placement.phase == Phase::Recurrent) {
      start = plan.step_floats;
      plan.step_floats += length;
    }
    if (const std::vector<NodeId>* group = group_of[id]) {
      for (NodeId member : *group) plan.values[std::size_t(member)].offset += start;
    } else {
      placement.offset = start;
    }
  }
}

}  // namespace

const ProductPlan& SequencePlan::product(NodeId id) const {
  for (const ProductPlan& product : products) {
    if (product.node == id) return product;
  }
  RNNC_ASSERT(false, "a node without a product plan");
}

std::vector<Phase> plan_phases(const Graph& graph) {
  RNNC_ASSERT(graph.is_bound(), "planning a kernel for a graph with unbound dimensions");
  const std::size_t count = graph.nodes.size();
  std::vector<Phase> phases(count, Phase::Leaf);
  std::vector<bool> state_dependent(count, false), feeds_recurrence(count, false), is_gradient(count, false);
  for (std::size_t id = 0; id < count; ++id) {
    const Node& node = graph.nodes[id];
    bool depends = node.op == Op::State;
    for (NodeId operand : node.operands) depends = depends || state_dependent[std::size_t(operand)];
    state_dependent[id] = depends;
  }
  for (NodeId id : graph.next_states) feeds_recurrence[std::size_t(id)] = true;
  for (std::size_t id = count; id-- > 0;) {
    if (!feeds_recurrence[id]) continue;
    for (NodeId operand : graph.nodes[id].operands) feeds_recurrence[std::size_t(operand)] = true;
  }
  for (const ParamGradient& gradient : graph.param_gradients) {
    if (graph.node(gradient.node).op == Op::Outer) is_gradient[std::size_t(gradient.node)] = true;
  }

  for (std::size_t id = 0; id < count; ++id) {
    const Node& node = graph.nodes[id];
    Phase& phase = phases[id];
    if (op_class(node.op) == OpClass::Leaf) {
      phase = Phase::Leaf;
    } else if (node.op == Op::Slice) {
      phase = Phase::View;
    } else if (is_gradient[id]) {
      phase = Phase::Gradient;
    } else if (!state_dependent[id]) {
      phase = Phase::Hoisted;
    } else {
      phase = feeds_recurrence[id] ? Phase::Recurrent : Phase::Deferred;
    }
  }
  compute_pointwise_where_used(graph, phases);
  return phases;
}

std::vector<std::vector<NodeId>> merged_products(const Graph& graph, const std::vector<Phase>& phases) {
  std::vector<std::vector<NodeId>> groups;
  std::vector<bool> grouped(graph.nodes.size(), false);
  for (std::size_t first = 0; first < graph.nodes.size(); ++first) {
    const Node& node = graph.nodes[first];
    if (op_class(node.op) != OpClass::MatVec || grouped[first]) continue;
    std::vector<NodeId> group = {NodeId(first)};
    for (std::size_t other = first + 1; other < graph.nodes.size(); ++other) {
      const Node& candidate = graph.nodes[other];
      bool same_matrix = false;
      for (NodeId member : group) same_matrix = same_matrix || graph.node(member).symbol == candidate.symbol;
      if (candidate.op == node.op && candidate.operands[0] == node.operands[0] && phases[other] == phases[first] &&
          !same_matrix && !grouped[other]) {
        group.push_back(NodeId(other));
      }
    }
    if (group.size() < 2) continue;
    for (NodeId member : group) grouped[std::size_t(member)] = true;
    groups.push_back(std::move(group));
  }
  return groups;
}

SequencePlan plan_sequence(const Graph& graph, std::vector<NodeId> sinks, TimeDirection direction,
                           const GemmSchedule& schedule, const PackedWeights& packing) {
  const std::size_t count = graph.nodes.size();
  SequencePlan plan;
  plan.direction = direction;
  plan.schedule = schedule;
  plan.values.resize(count);
  plan.sinks = std::move(sinks);
  std::vector<Phase> phases = plan_phases(graph);
  for (std::size_t id = 0; id < count; ++id) plan.values[id].phase = phases[id];
  plan.product_groups = merged_products(graph, phases);

  keep_what_later_phases_read(graph, plan);
  plan.step_unit = step_unit(graph, plan);
  plan.unit_blocks = plan.step_unit > 0 && plan.step_unit % schedule.panel_width() == 0;
  inline_single_use_values(graph, plan);
  place_row_local_values(graph, plan);
  assign_offsets(graph, plan);
  for (const Symbol& state : graph.states) plan.state_floats += element_count(state.shape);
  plan.products = plan_products(graph, plan, packing);
  plan.gradient_floats = gradient_floats(graph, schedule);
  return plan;
}

}  // namespace rnnc
