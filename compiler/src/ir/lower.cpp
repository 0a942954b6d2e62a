#include "rnnc/lower.h"

#include <map>

#include "rnnc/builtins.h"
#include "rnnc/internal_error.h"

namespace rnnc {

namespace {

class Lowerer {
 public:
  Graph run(const CheckedCell& cell) {
    const CellAst& ast = cell.ast;
    graph_.cell_name = ast.name;
    for (const NameRef& dimension : ast.dimensions) graph_.dimension_names.push_back(dimension.name);
    for (const Declaration& declaration : ast.declarations) declare(declaration);
    graph_.next_states.assign(graph_.states.size(), -1);

    for (const Statement& statement : ast.statements) {
      NodeId value = lower(*statement.value);
      switch (statement.kind) {
        case StatementKind::NextState: {
          int state = find_symbol(graph_.states, statement.name);
          graph_.next_states[std::size_t(state)] = value;
          next_values_[statement.name] = value;
          name_node(value, statement.name + "'");
          break;
        }
        case StatementKind::Output:
          graph_.outputs.push_back({statement.name, value});
          [[fallthrough]];
        case StatementKind::Assign:
          locals_[statement.name] = value;
          name_node(value, statement.name);
          break;
      }
    }
    verify_graph(graph_);
    return std::move(graph_);
  }

 private:
  void declare(const Declaration& declaration) {
    Shape shape;
    if (declaration.shape.size() == 1) shape = Shape::vector(declaration.shape[0].value);
    if (declaration.shape.size() == 2) shape = Shape::matrix(declaration.shape[0].value, declaration.shape[1].value);
    Symbol symbol{declaration.name, shape};
    switch (declaration.kind) {
      case DeclKind::Input: graph_.inputs.push_back(symbol); break;
      case DeclKind::State: graph_.states.push_back(symbol); break;
      case DeclKind::Param: graph_.params.push_back(symbol); break;
    }
  }

  // Names a node after the first statement that assigns it, for printing.
  void name_node(NodeId id, const std::string& name) {
    Node& node = graph_.nodes[std::size_t(id)];
    if (node.name.empty() && op_class(node.op) != OpClass::Leaf) node.name = name;
  }

  NodeId emit(Node node) {
    graph_.nodes.push_back(std::move(node));
    return NodeId(graph_.nodes.size() - 1);
  }

  NodeId emit_op(Op op, const Shape& shape, std::vector<NodeId> operands) {
    Node node = make_node(op, shape, std::move(operands));
    return emit(std::move(node));
  }

  // Leaves are emitted once per symbol, on first use.
  NodeId leaf(Op op, int symbol, const Shape& shape) {
    auto key = std::make_pair(op, symbol);
    if (auto found = leaves_.find(key); found != leaves_.end()) return found->second;
    Node node = make_node(op, shape, {});
    node.symbol = symbol;
    return leaves_[key] = emit(std::move(node));
  }

  NodeId lower(const Expr& expr) {
    RNNC_ASSERT(expr.shape.has_value(), "lowering an expression the checker rejected");
    const Shape& shape = *expr.shape;
    switch (expr.kind) {
      case ExprKind::Number: {
        Node node = make_node(Op::Constant, Shape::scalar(), {});
        node.constant = expr.number;
        return emit(std::move(node));
      }
      case ExprKind::Name: return lower_name(expr);
      case ExprKind::Negate: return emit_op(Op::Neg, shape, {lower(*expr.operands[0])});
      case ExprKind::Binary: {
        static const std::map<BinaryOp, Op> ops = {
            {BinaryOp::Add, Op::Add}, {BinaryOp::Sub, Op::Sub}, {BinaryOp::Mul, Op::Mul}, {BinaryOp::Div, Op::Div}};
        return emit_op(ops.at(expr.binary_op), shape, {lower(*expr.operands[0]), lower(*expr.operands[1])});
      }
      case ExprKind::Call: {
        std::vector<NodeId> operands;
        for (const auto& operand : expr.operands) operands.push_back(lower(*operand));
        return emit_op(find_builtin(expr.name)->op, shape, std::move(operands));
      }
      case ExprKind::MatMul: {
        Node node = make_node(Op::MatVec, shape, {lower(*expr.operands[1])});
        node.symbol = find_symbol(graph_.params, expr.operands[0]->name);
        return emit(std::move(node));
      }
      case ExprKind::Slice: {
        Node node = make_node(Op::Slice, shape, {lower(*expr.operands[0])});
        if (expr.slice_begin) node.slice_begin = expr.slice_begin->value;
        return emit(std::move(node));
      }
      case ExprKind::Concat: {
        std::vector<NodeId> parts;
        for (const auto& part : expr.operands) parts.push_back(lower(*part));
        return emit_op(Op::Concat, shape, std::move(parts));
      }
    }
    RNNC_ASSERT(false, "unknown expression kind");
  }

  NodeId lower_name(const Expr& expr) {
    if (expr.primed) return next_values_.at(expr.name);
    if (auto local = locals_.find(expr.name); local != locals_.end()) return local->second;
    if (int index = find_symbol(graph_.inputs, expr.name); index >= 0) {
      return leaf(Op::Input, index, graph_.inputs[std::size_t(index)].shape);
    }
    if (int index = find_symbol(graph_.states, expr.name); index >= 0) {
      return leaf(Op::State, index, graph_.states[std::size_t(index)].shape);
    }
    int index = find_symbol(graph_.params, expr.name);
    RNNC_ASSERT(index >= 0, "name '" + expr.name + "' survived checking without a declaration");
    return leaf(Op::Param, index, graph_.params[std::size_t(index)].shape);
  }

  Graph graph_;
  std::map<std::string, NodeId> locals_;
  std::map<std::string, NodeId> next_values_;
  std::map<std::pair<Op, int>, NodeId> leaves_;
};

}  // namespace

Graph lower_cell(const CheckedCell& cell) { return Lowerer().run(cell); }

}  // namespace rnnc
