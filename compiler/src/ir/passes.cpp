#include "rnnc/passes.h"

#include <cstring>
#include <map>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "graph_rewriter.h"
#include "rnnc/internal_error.h"
#include "rnnc/scalar_ops.h"

namespace rnnc {

namespace {

Shape bind_shape(const Shape& shape, const DimensionValues& values) {
  auto bind = [&](const DimPoly& poly) {
    std::optional<DimPoly> bound = poly.bind(values);
    RNNC_ASSERT(bound && bound->is_constant(), "dimension left unbound: " + poly.to_string());
    return *bound;
  };
  Shape result = shape;
  if (shape.rank >= 1) result.rows = bind(shape.rows);
  if (shape.rank == 2) result.cols = bind(shape.cols);
  return result;
}

bool is_constant(const Node& node, double value) { return node.op == Op::Constant && node.constant == value; }

}  // namespace

Graph bind_dimensions(const Graph& graph, const DimensionValues& values) {
  GraphRewriter rewriter(graph);
  Graph& result = rewriter.result();
  result.dimension_values = values;
  for (auto* symbols : {&result.inputs, &result.states, &result.params}) {
    for (Symbol& symbol : *symbols) symbol.shape = bind_shape(symbol.shape, values);
  }
  for (NodeId id = 0; id < NodeId(graph.nodes.size()); ++id) {
    Node node = rewriter.remapped(id);
    node.shape = bind_shape(node.shape, values);
    node.slice_begin = *node.slice_begin.bind(values);
    rewriter.emit(id, std::move(node));
  }
  return rewriter.finish();
}

namespace {

class ConstantFolder {
 public:
  explicit ConstantFolder(const Graph& graph) : graph_(graph), rewriter_(graph) {}

  Graph run() {
    for (NodeId id = 0; id < NodeId(graph_.nodes.size()); ++id) {
      Node node = rewriter_.remapped(id);
      if (std::optional<NodeId> replacement = fold(node)) {
        rewriter_.alias(id, *replacement);
      } else {
        rewriter_.emit(id, std::move(node));
      }
    }
    return rewriter_.finish();
  }

 private:
  const Node& operand(const Node& node, std::size_t i) const { return rewriter_.new_node(node.operands[i]); }

  NodeId constant(double value) {
    Node node = make_node(Op::Constant, Shape::scalar(), {});
    node.constant = value;
    return rewriter_.emit_new(std::move(node));
  }

  // Returns the node that replaces `node`, or nullopt to keep it.
  std::optional<NodeId> fold(const Node& node) {
    switch (op_class(node.op)) {
      case OpClass::Unary: return fold_unary(node);
      case OpClass::Binary: return fold_binary(node);
      case OpClass::Slice: return fold_slice(node);
      case OpClass::Reduce:
        // The sum or mean of a scalar is the scalar itself.
        if (operand(node, 0).shape.rank == 0) return node.operands[0];
        return std::nullopt;
      default: return std::nullopt;
    }
  }

  std::optional<NodeId> fold_unary(const Node& node) {
    const Node& x = operand(node, 0);
    if (x.op == Op::Constant) return constant(apply_unary(node.op, x.constant));
    if (node.op == Op::Neg && x.op == Op::Neg) return x.operands[0];
    return std::nullopt;
  }

  std::optional<NodeId> fold_binary(const Node& node) {
    const Node& a = operand(node, 0);
    const Node& b = operand(node, 1);
    if (a.op == Op::Constant && b.op == Op::Constant) return constant(apply_binary(node.op, a.constant, b.constant));
    // Identities keep the other operand only where it already has the
    // result's shape (x + 0 with a scalar 0 must not shrink a vector).
    auto keep = [&](std::size_t i) -> std::optional<NodeId> {
      if (operand(node, i).shape == node.shape) return node.operands[i];
      return std::nullopt;
    };
    switch (node.op) {
      case Op::Add:
        if (is_constant(b, 0)) return keep(0);
        if (is_constant(a, 0)) return keep(1);
        break;
      case Op::Sub:
        if (is_constant(b, 0)) return keep(0);
        break;
      case Op::Mul:
        if (is_constant(b, 1)) return keep(0);
        if (is_constant(a, 1)) return keep(1);
        break;
      case Op::Div:
        if (is_constant(b, 1)) return keep(0);
        break;
      default: break;
    }
    return std::nullopt;
  }

  std::optional<NodeId> fold_slice(const Node& node) {
    const Node& source = operand(node, 0);
    if (node.slice_begin == DimPoly() && source.shape == node.shape) return node.operands[0];
    if (source.op == Op::Slice) {
      Node combined = node;
      combined.operands = source.operands;
      combined.slice_begin = source.slice_begin + node.slice_begin;
      return rewriter_.emit_new(std::move(combined));
    }
    if (source.op == Op::Concat) return slice_of_concat(node, source);
    return std::nullopt;
  }

  // A slice that falls inside one part of a concatenation reads that part.
  std::optional<NodeId> slice_of_concat(const Node& node, const Node& concat) {
    DimPoly offset;
    for (NodeId part_id : concat.operands) {
      const Node& part = rewriter_.new_node(part_id);
      DimPoly length = part.shape.rank == 0 ? DimPoly::constant(1) : part.shape.rows;
      DimPoly start = node.slice_begin - offset;
      DimPoly slack = length - start - node.shape.rows;
      if (start.always_nonnegative() && slack.always_nonnegative()) {
        {
          if (start == DimPoly() && slack == DimPoly() && part.shape.rank == 1) return part_id;
          if (part.shape.rank == 0) return std::nullopt;
          Node slice = node;
          slice.operands = {part_id};
          slice.slice_begin = start;
          return rewriter_.emit_new(std::move(slice));
        }
      }
      offset = offset + length;
    }
    return std::nullopt;
  }

  const Graph& graph_;
  GraphRewriter rewriter_;
};

// A key that is equal for nodes computing the same value.
std::string node_key(const Node& node) {
  std::vector<NodeId> operands = node.operands;
  bool commutative = node.op == Op::Add || node.op == Op::Mul || node.op == Op::Max || node.op == Op::Min;
  if (commutative && operands[0] > operands[1]) std::swap(operands[0], operands[1]);
  std::uint64_t constant_bits;
  std::memcpy(&constant_bits, &node.constant, sizeof constant_bits);
  return fmt::format("{}|{}|{}|{}|{}|{}", op_mnemonic(node.op), fmt::join(operands, ","), constant_bits, node.symbol,
                     node.slice_begin.to_string(), node.shape.to_string());
}

}  // namespace

Graph fold_constants(const Graph& graph) { return ConstantFolder(graph).run(); }

Graph eliminate_common_subexpressions(const Graph& graph) {
  GraphRewriter rewriter(graph);
  std::map<std::string, NodeId> seen;
  for (NodeId id = 0; id < NodeId(graph.nodes.size()); ++id) {
    Node node = rewriter.remapped(id);
    std::string key = node_key(node);
    if (auto found = seen.find(key); found != seen.end()) {
      rewriter.alias(id, found->second);
    } else {
      seen[key] = rewriter.emit(id, std::move(node));
    }
  }
  return rewriter.finish();
}

Graph remove_dead_code(const Graph& graph) {
  std::vector<bool> live(graph.nodes.size(), false);
  for (NodeId id : graph.next_states) live[std::size_t(id)] = true;
  for (const Output& output : graph.outputs) live[std::size_t(output.node)] = true;
  for (const ParamGradient& gradient : graph.param_gradients) live[std::size_t(gradient.node)] = true;
  for (NodeId id = NodeId(graph.nodes.size()) - 1; id >= 0; --id) {
    if (!live[std::size_t(id)]) continue;
    for (NodeId operand : graph.node(id).operands) live[std::size_t(operand)] = true;
  }
  GraphRewriter rewriter(graph);
  for (NodeId id = 0; id < NodeId(graph.nodes.size()); ++id) {
    if (live[std::size_t(id)]) rewriter.emit(id, rewriter.remapped(id));
  }
  return rewriter.finish();
}

Graph simplify(const Graph& graph) {
  // Each round can expose more folding (a slice of a slice of a concat);
  // a few rounds reach the fixed point for any realistic cell.
  constexpr int kMaxRounds = 8;
  Graph current = graph;
  for (int round = 0; round < kMaxRounds; ++round) {
    Graph next = remove_dead_code(eliminate_common_subexpressions(fold_constants(current)));
    bool changed = next.nodes.size() != current.nodes.size();
    current = std::move(next);
    if (!changed) break;
  }
  return current;
}

}  // namespace rnnc
