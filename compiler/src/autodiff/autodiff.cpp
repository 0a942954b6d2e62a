// Reverse mode on the cell IR: a table of one derivative rule per operation
// (apply_rule) and a generic engine that walks the forward step in reverse
// topological order, adding adjoints up.
#include "rnnc/autodiff.h"

#include <algorithm>
#include <functional>
#include <iterator>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "rnnc/internal_error.h"
#include "rnnc/passes.h"

namespace rnnc {

namespace {

// Operations the backward step recomputes from stored values instead of
// storing their results: no transcendental function, no matrix product.
bool is_cheap(Op op) {
  switch (op) {
    case Op::Sigmoid:
    case Op::Tanh:
    case Op::Exp:
    case Op::Log:
    case Op::Sqrt:
    case Op::Softplus:
    case Op::Softmax:
    case Op::MatVec:
    case Op::MatVecT:
    case Op::Outer: return false;
    default: return true;
  }
}

std::int64_t length_of(const Shape& shape) { return shape.rank == 0 ? 1 : shape.rows.constant_value(); }

// An adjoint contribution to a forward node: to all of it, or to the
// elements [begin, begin + length) when it comes from a slice.
struct Contribution {
  NodeId value;
  std::optional<std::int64_t> begin;
};

// Whether forward value `id` can be rebuilt with cheap operations from
// leaves, next states and the values of `stored` (memo: per node, for one
// `stored`).
bool rebuildable(const Graph& forward, NodeId id, const std::vector<NodeId>& stored,
                 std::vector<std::optional<bool>>& memo) {
  std::optional<bool>& known = memo[std::size_t(id)];
  if (known) return *known;
  const Node& node = forward.node(id);
  if (op_class(node.op) == OpClass::Leaf || std::ranges::find(stored, id) != stored.end() ||
      std::ranges::find(forward.next_states, id) != forward.next_states.end()) {
    return *(known = true);
  }
  return *(known = is_cheap(node.op) && std::ranges::all_of(node.operands, [&](NodeId operand) {
             return rebuildable(forward, operand, stored, memo);
           }));
}

// Of the values a first pass saved, those that cannot be rebuilt cheaply
// from the others. The first pass stores a value when the backward step
// first asks for it and nothing stored yet rebuilds it; a value asked for
// later may rebuild it after all: a layer norm's g·d/σ from d and σ, which
// the backward step reads too (4H of a layer-normalized LSTM's 11H floats
// per step). Later values go first, as they are built from earlier ones.
std::vector<NodeId> values_to_store(const Graph& forward, std::vector<NodeId> saved) {
  std::vector<NodeId> by_id = saved;
  std::ranges::sort(by_id, std::greater<>());
  for (NodeId id : by_id) {
    if (!is_cheap(forward.node(id).op)) continue;
    std::vector<NodeId> others;
    std::ranges::copy_if(saved, std::back_inserter(others), [&](NodeId other) { return other != id; });
    std::vector<std::optional<bool>> memo(forward.nodes.size());
    const Node& node = forward.node(id);
    if (std::ranges::all_of(node.operands,
                            [&](NodeId operand) { return rebuildable(forward, operand, others, memo); })) {
      saved = std::move(others);
    }
  }
  return saved;
}

class Differentiator {
 public:
  // `stored`: forward values to store whether or not they could be rebuilt
  // (values_to_store).
  Differentiator(const Graph& forward, const std::vector<NodeId>& stored)
      : forward_(forward),
        contributions_(forward.nodes.size()),
        adjoints_(forward.nodes.size()),
        values_(forward.nodes.size()),
        recomputable_(forward.nodes.size()) {
    RNNC_ASSERT(forward.is_bound(), "differentiating a graph with unbound dimensions");
    backward_.cell_name = forward.cell_name + "_backward";
    backward_.dimension_names = forward.dimension_names;
    backward_.dimension_values = forward.dimension_values;
    backward_.params = forward.params;
    for (const Symbol& state : forward.states) backward_.states.push_back({"d" + state.name, state.shape});
    for (NodeId id : stored) {
      values_[std::size_t(id)] =
          input_leaf({BackwardInputSource::Kind::Saved, id}, describe_forward(id), forward.node(id).shape);
    }
  }

  BackwardStep run() {
    seed();
    for (NodeId id = NodeId(forward_.nodes.size()) - 1; id >= 0; --id) {
      if (op_class(forward_.node(id).op) == OpClass::Leaf) continue;
      if (std::optional<NodeId> g = adjoint(id)) apply_rule(id, *g);
    }
    collect_results();
    verify_graph(backward_);
    BackwardStep step{simplify(backward_), std::move(sources_), {}};
    prune_unused_inputs(step);
    step.plan = make_plan(step);
    return step;
  }

 private:
  // ---- the rules ----------------------------------------------------------
  // g is the adjoint of node `id`; x(i) its operands' forward values, y() its own.
  void apply_rule(NodeId id, NodeId g) {
    const Node& node = forward_.node(id);
    auto x = [&](std::size_t i) { return value_of(node.operands[i]); };
    auto y = [&] { return value_of(id); };
    auto to = [&](std::size_t i, NodeId adjoint) { accumulate(node.operands[i], adjoint); };
    NodeId one = constant(1);
    switch (node.op) {
      case Op::Neg: to(0, neg(g)); return;                                           // -x:  -g
      case Op::Sigmoid: to(0, mul(g, mul(y(), sub(one, y())))); return;            // σ:   g·y·(1−y)
      case Op::Tanh: to(0, mul(g, sub(one, mul(y(), y())))); return;               // tanh: g·(1−y²)
      case Op::Relu: to(0, mul(g, unary(Op::Step, y()))); return;                  // relu: g·[y>0]; 0 at 0
      case Op::Exp: to(0, mul(g, y())); return;                                     // exp: g·y
      case Op::Log: to(0, div(g, x(0))); return;                                    // log: g/x
      case Op::Sqrt: to(0, div(g, mul(constant(2), y()))); return;                 // √:   g/(2y)
      case Op::Abs: to(0, mul(g, unary(Op::Sign, x(0)))); return;                  // |x|: g·sign(x); 0 at 0
      case Op::Softplus: to(0, mul(g, unary(Op::Sigmoid, x(0)))); return;          // softplus: g·σ(x)
      case Op::Add: to(0, g), to(1, g); return;                                     // a+b: g, g
      case Op::Sub: to(0, g), to(1, neg(g)); return;                                // a−b: g, −g
      case Op::Mul: to(0, mul(g, x(1))), to(1, mul(g, x(0))); return;               // a·b: g·b, g·a
      case Op::Div: to(0, div(g, x(1))), to(1, neg(div(mul(g, y()), x(1)))); return;  // a/b: g/b, −g·y/b
      case Op::Max: {  // max(a, b): g goes to a where a ≥ b (ties to a), else to b
        NodeId a_wins = binary(Op::GreaterEqual, x(0), x(1));
        to(0, mul(g, a_wins)), to(1, mul(g, sub(one, a_wins)));
        return;
      }
      case Op::Min: {  // min(a, b): g goes to a where a ≤ b (ties to a), else to b
        NodeId a_wins = binary(Op::GreaterEqual, x(1), x(0));
        to(0, mul(g, a_wins)), to(1, mul(g, sub(one, a_wins)));
        return;
      }
      case Op::Step:
      case Op::Sign:
      case Op::GreaterEqual: return;  // piecewise constant: zero almost everywhere
      case Op::MatVec:  // W @ v: dv += Wᵀ·g, dW += g·vᵀ (kept apart so dW batches over time)
        to(0, matrix_op(Op::MatVecT, node.symbol, {g}, forward_.node(node.operands[0]).shape));
        backward_.param_gradients.push_back(
            {node.symbol, matrix_op(Op::Outer, node.symbol, {g, x(0)}, forward_.params[std::size_t(node.symbol)].shape)});
        return;
      case Op::Slice: accumulate_slice(node.operands[0], g, node.slice_begin.constant_value()); return;
      case Op::Concat: {  // each part gets its slice of g
        std::int64_t offset = 0;
        for (std::size_t i = 0; i < node.operands.size(); ++i) {
          std::int64_t length = length_of(forward_.node(node.operands[i]).shape);
          to(i, slice(g, offset, length));
          offset += length;
        }
        return;
      }
      case Op::Sum: to(0, broadcast(g, forward_.node(node.operands[0]).shape)); return;  // sum: g to every element
      case Op::Mean: {                                                                // mean: g/n to every element
        const Shape& shape = forward_.node(node.operands[0]).shape;
        to(0, broadcast(div(g, constant(double(length_of(shape)))), shape));
        return;
      }
      case Op::Softmax: to(0, mul(y(), sub(g, unary_to_scalar(Op::Sum, mul(g, y()))))); return;  // y·(g − Σ g·y)
      case Op::Broadcast: to(0, unary_to_scalar(Op::Sum, g)); return;                 // broadcast: Σ g
      case Op::Pad:                                                                     // pad: g's window
        to(0, slice(g, node.slice_begin.constant_value(), length_of(forward_.node(node.operands[0]).shape)));
        return;
      case Op::Constant:
      case Op::Input:
      case Op::State:
      case Op::Param: return;  // leaves: their adjoints are results
      case Op::MatVecT:
      case Op::Outer: RNNC_ASSERT(false, "second derivatives are not supported");
    }
  }

  // ---- the engine ---------------------------------------------------------
  void seed() {
    for (std::size_t s = 0; s < forward_.states.size(); ++s) {
      Node leaf = make_node(Op::State, forward_.states[s].shape, {});
      leaf.symbol = int(s);
      accumulate(forward_.next_states[s], emit(std::move(leaf)));
    }
    for (std::size_t o = 0; o < forward_.outputs.size(); ++o) {
      const Output& output = forward_.outputs[o];
      NodeId adjoint = input_leaf({BackwardInputSource::Kind::OutputAdjoint, int(o)}, "d" + output.name,
                                  forward_.node(output.node).shape);
      accumulate(output.node, adjoint);
    }
  }

  void collect_results() {
    std::vector<std::optional<NodeId>> state_adjoints(forward_.states.size()), input_adjoints(forward_.inputs.size());
    for (NodeId id = 0; id < NodeId(forward_.nodes.size()); ++id) {
      const Node& node = forward_.node(id);
      std::optional<NodeId> g = adjoint(id);
      if (!g) continue;
      if (node.op == Op::State) state_adjoints[std::size_t(node.symbol)] = g;
      if (node.op == Op::Input) input_adjoints[std::size_t(node.symbol)] = g;
      if (node.op == Op::Param) backward_.param_gradients.push_back({node.symbol, *g});
    }
    for (std::size_t s = 0; s < forward_.states.size(); ++s) {
      backward_.next_states.push_back(state_adjoints[s].value_or(zeros(forward_.states[s].shape)));
    }
    for (std::size_t i = 0; i < forward_.inputs.size(); ++i) {
      const Symbol& input = forward_.inputs[i];
      backward_.outputs.push_back({"d" + input.name, input_adjoints[i].value_or(zeros(input.shape))});
    }
  }

  // Adds g to the adjoint of forward node `id`, summing over broadcasting.
  void accumulate(NodeId id, NodeId g) {
    contributions_[std::size_t(id)].push_back({fit_to_shape(g, forward_.node(id).shape), std::nullopt});
  }

  void accumulate_slice(NodeId id, NodeId g, std::int64_t begin) {
    contributions_[std::size_t(id)].push_back({g, begin});
  }

  // The adjoint of a forward node, once all its users have contributed.
  std::optional<NodeId> adjoint(NodeId id) {
    std::optional<NodeId>& memo = adjoints_[std::size_t(id)];
    if (memo || contributions_[std::size_t(id)].empty()) return memo;
    std::vector<Contribution>& parts = contributions_[std::size_t(id)];
    const Shape& shape = forward_.node(id).shape;
    std::optional<NodeId> total;
    auto add_to_total = [&](NodeId value) { total = total ? binary(Op::Add, *total, value) : value; };
    std::vector<Contribution> windows;
    for (const Contribution& part : parts) {
      if (part.begin) {
        windows.push_back(part);
      } else {
        add_to_total(part.value);
      }
    }
    if (!windows.empty()) add_to_total(assemble_windows(windows, shape));
    return memo = total;
  }

  // Slices of one vector usually tile it (an LSTM's four gates): their
  // adjoints then form one concatenation, with zeros in any gap. Overlapping
  // windows are padded to full length and added.
  NodeId assemble_windows(std::vector<Contribution> windows, const Shape& shape) {
    std::stable_sort(windows.begin(), windows.end(), [](const auto& a, const auto& b) { return *a.begin < *b.begin; });
    std::vector<NodeId> pieces;
    std::int64_t position = 0;
    for (const Contribution& window : windows) {
      if (*window.begin < position) {  // overlap
        std::optional<NodeId> sum;
        for (const Contribution& each : windows) {
          Node pad = make_node(Op::Pad, shape, {each.value});
          pad.slice_begin = DimPoly::constant(*each.begin);
          NodeId padded = emit(std::move(pad));
          sum = sum ? binary(Op::Add, *sum, padded) : padded;
        }
        return *sum;
      }
      if (*window.begin > position) pieces.push_back(zeros(Shape::vector(DimPoly::constant(*window.begin - position))));
      pieces.push_back(window.value);
      position = *window.begin + length_of(backward_.node(window.value).shape);
    }
    std::int64_t length = length_of(shape);
    if (position < length) pieces.push_back(zeros(Shape::vector(DimPoly::constant(length - position))));
    if (pieces.size() == 1) return pieces[0];
    return emit(make_node(Op::Concat, shape, std::move(pieces)));
  }

  // Reduces or widens an adjoint to the shape of the value it belongs to.
  NodeId fit_to_shape(NodeId g, const Shape& shape) {
    const Shape& have = backward_.node(g).shape;
    if (have == shape) return g;
    if (shape.rank == 0) return unary_to_scalar(Op::Sum, g);
    if (have.rank == 0) return broadcast(g, shape);
    RNNC_ASSERT(length_of(shape) == 1, "adjoint of shape " + have.to_string() + " for a value of shape " + shape.to_string());
    return broadcast(unary_to_scalar(Op::Sum, g), shape);
  }

  // ---- forward values inside the backward step -----------------------------
  // A forward value as the backward step sees it: a leaf, a stored value, or
  // recomputed from stored values when that is cheap.
  NodeId value_of(NodeId id) {
    std::optional<NodeId>& memo = values_[std::size_t(id)];
    if (memo) return *memo;
    const Node& node = forward_.node(id);
    auto next_state = std::find(forward_.next_states.begin(), forward_.next_states.end(), id);
    if (next_state != forward_.next_states.end()) {
      int state = int(next_state - forward_.next_states.begin());
      return *(memo = input_leaf({BackwardInputSource::Kind::NextState, state},
                                 forward_.states[std::size_t(state)].name + "'", node.shape));
    }
    switch (node.op) {
      case Op::Constant: return *(memo = constant(node.constant));
      case Op::Input:
        return *(memo = input_leaf({BackwardInputSource::Kind::ForwardInput, node.symbol},
                                   forward_.inputs[std::size_t(node.symbol)].name, node.shape));
      case Op::State:
        return *(memo = input_leaf({BackwardInputSource::Kind::PreviousState, node.symbol},
                                   forward_.states[std::size_t(node.symbol)].name, node.shape));
      case Op::Param: {
        Node leaf = make_node(Op::Param, node.shape, {});
        leaf.symbol = node.symbol;
        return *(memo = emit(std::move(leaf)));
      }
      default: break;
    }
    if (is_cheap(node.op) && recomputable(id)) {
      Node copy = node;
      for (NodeId& operand : copy.operands) operand = value_of(operand);
      return *(memo = emit(std::move(copy)));
    }
    return *(memo = input_leaf({BackwardInputSource::Kind::Saved, id}, describe_forward(id), node.shape));
  }

  // True when the value can be rebuilt from leaves and already stored values
  // with cheap operations only, so recomputing it stores nothing new.
  bool recomputable(NodeId id) {
    std::optional<bool>& memo = recomputable_[std::size_t(id)];
    if (memo) return *memo;
    const Node& node = forward_.node(id);
    bool result = false;
    if (op_class(node.op) == OpClass::Leaf || values_[std::size_t(id)] ||
        std::find(forward_.next_states.begin(), forward_.next_states.end(), id) != forward_.next_states.end()) {
      result = true;
    } else if (is_cheap(node.op)) {
      result = std::all_of(node.operands.begin(), node.operands.end(), [&](NodeId operand) { return recomputable(operand); });
    }
    return *(memo = result);
  }

  // A readable name for a stored forward value: its source name, else its
  // operation applied to its operands' names.
  std::string describe_forward(NodeId id) const {
    const Node& node = forward_.node(id);
    if (!node.name.empty()) return node.name;
    switch (node.op) {
      case Op::Input: return forward_.inputs[std::size_t(node.symbol)].name;
      case Op::State: return forward_.states[std::size_t(node.symbol)].name;
      case Op::Param: return forward_.params[std::size_t(node.symbol)].name;
      case Op::Constant: return fmt::format("{}", node.constant);
      default: break;
    }
    std::vector<std::string> operands;
    for (NodeId operand : node.operands) operands.push_back(describe_forward(operand));
    if (node.op == Op::Slice) {
      return fmt::format("{}[{}:{}]", operands[0], node.slice_begin.to_string(),
                         (node.slice_begin + node.shape.rows).to_string());
    }
    if (node.op == Op::MatVec) return fmt::format("{}@{}", forward_.params[std::size_t(node.symbol)].name, operands[0]);
    return fmt::format("{}({})", op_mnemonic(node.op), fmt::join(operands, ", "));
  }

  NodeId input_leaf(BackwardInputSource source, const std::string& name, const Shape& shape) {
    auto key = std::make_pair(source.kind, source.index);
    if (auto found = input_leaves_.find(key); found != input_leaves_.end()) return found->second;
    backward_.inputs.push_back({name, shape});
    sources_.push_back(source);
    Node leaf = make_node(Op::Input, shape, {});
    leaf.symbol = int(backward_.inputs.size() - 1);
    return input_leaves_[key] = emit(std::move(leaf));
  }

  // ---- building backward nodes ----------------------------------------------
  NodeId emit(Node node) {
    backward_.nodes.push_back(std::move(node));
    return NodeId(backward_.nodes.size() - 1);
  }

  NodeId constant(double value) {
    Node node = make_node(Op::Constant, Shape::scalar(), {});
    node.constant = value;
    return emit(std::move(node));
  }

  NodeId zeros(const Shape& shape) { return broadcast(constant(0), shape); }

  NodeId broadcast(NodeId scalar, const Shape& shape) {
    if (backward_.node(scalar).shape == shape) return scalar;
    return emit(make_node(Op::Broadcast, shape, {scalar}));
  }

  NodeId unary(Op op, NodeId x) { return emit(make_node(op, backward_.node(x).shape, {x})); }
  NodeId unary_to_scalar(Op op, NodeId x) { return emit(make_node(op, Shape::scalar(), {x})); }
  NodeId neg(NodeId x) { return unary(Op::Neg, x); }

  // Binary operations broadcast: the result has the shape of the wider operand.
  NodeId binary(Op op, NodeId a, NodeId b) {
    const Shape& sa = backward_.node(a).shape;
    const Shape& sb = backward_.node(b).shape;
    Shape shape = sa.broadcasts() && !(sb.broadcasts() && sb.rank < sa.rank) ? sb : sa;
    return emit(make_node(op, shape, {a, b}));
  }
  NodeId mul(NodeId a, NodeId b) { return binary(Op::Mul, a, b); }
  NodeId sub(NodeId a, NodeId b) { return binary(Op::Sub, a, b); }
  NodeId div(NodeId a, NodeId b) { return binary(Op::Div, a, b); }

  NodeId slice(NodeId x, std::int64_t begin, std::int64_t length) {
    Node node = make_node(Op::Slice, Shape::vector(DimPoly::constant(length)), {x});
    node.slice_begin = DimPoly::constant(begin);
    return emit(std::move(node));
  }

  NodeId matrix_op(Op op, int param, std::vector<NodeId> operands, const Shape& shape) {
    Node node = make_node(op, shape, std::move(operands));
    node.symbol = param;
    return emit(std::move(node));
  }

  // ---- after simplification ---------------------------------------------------
  // Drops inputs that simplification left unused, so that the plan stores
  // only what the backward step reads.
  static void prune_unused_inputs(BackwardStep& step) {
    Graph& graph = step.graph;
    std::vector<bool> used(graph.inputs.size(), false);
    for (const Node& node : graph.nodes) {
      if (node.op == Op::Input) used[std::size_t(node.symbol)] = true;
    }
    std::vector<int> renumbered(graph.inputs.size(), -1);
    std::vector<Symbol> inputs;
    std::vector<BackwardInputSource> sources;
    for (std::size_t i = 0; i < graph.inputs.size(); ++i) {
      if (!used[i]) continue;
      renumbered[i] = int(inputs.size());
      inputs.push_back(graph.inputs[i]);
      sources.push_back(step.input_sources[i]);
    }
    for (Node& node : graph.nodes) {
      if (node.op == Op::Input) node.symbol = renumbered[std::size_t(node.symbol)];
    }
    graph.inputs = std::move(inputs);
    step.input_sources = std::move(sources);
  }

  SavePlan make_plan(const BackwardStep& step) const {
    SavePlan plan;
    for (std::size_t i = 0; i < step.input_sources.size(); ++i) {
      if (step.input_sources[i].kind != BackwardInputSource::Kind::Saved) continue;
      plan.saved.push_back(step.input_sources[i].index);
      plan.saved_floats += std::size_t(element_count(step.graph.inputs[i].shape));
    }
    for (const Symbol& state : forward_.states) plan.state_floats += std::size_t(element_count(state.shape));
    plan.floats_per_step = plan.saved_floats + plan.state_floats;
    return plan;
  }

  const Graph& forward_;
  Graph backward_;
  std::vector<BackwardInputSource> sources_;
  std::vector<std::vector<Contribution>> contributions_;
  std::vector<std::optional<NodeId>> adjoints_;
  std::vector<std::optional<NodeId>> values_;
  std::vector<std::optional<bool>> recomputable_;
  std::map<std::pair<BackwardInputSource::Kind, int>, NodeId> input_leaves_;
};

}  // namespace

BackwardStep differentiate(const Graph& forward) {
  BackwardStep first = Differentiator(forward, {}).run();
  std::vector<NodeId> stored = values_to_store(forward, first.plan.saved);
  if (stored.size() == first.plan.saved.size()) return first;
  return Differentiator(forward, stored).run();
}

}  // namespace rnnc
