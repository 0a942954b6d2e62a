#include "rnnc/ast_printer.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace rnnc {

namespace {

class AstPrinter {
 public:
  std::string print(const CellAst& ast) {
    std::vector<std::string> dimensions;
    for (const NameRef& dimension : ast.dimensions) dimensions.push_back(dimension.name);
    out_ += fmt::format("cell {}<{}>\n", ast.name, fmt::join(dimensions, ", "));
    for (const Declaration& declaration : ast.declarations) {
      std::vector<std::string> extents;
      for (const DimExpr& extent : declaration.shape) extents.push_back(extent.value.to_string());
      out_ += fmt::format("  {} {}[{}]\n", declaration_kind_name(declaration.kind), declaration.name,
                          fmt::join(extents, ", "));
    }
    for (const Statement& statement : ast.statements) {
      switch (statement.kind) {
        case StatementKind::Assign: out_ += fmt::format("  {} =\n", statement.name); break;
        case StatementKind::NextState: out_ += fmt::format("  {}' =\n", statement.name); break;
        case StatementKind::Output: out_ += fmt::format("  output {} =\n", statement.name); break;
      }
      expression(*statement.value, 2);
    }
    return out_;
  }

 private:
  void expression(const Expr& expr, int depth) {
    std::string shape = expr.shape ? expr.shape->to_string() : "?";
    out_ += fmt::format("{:{}}{} : {}\n", "", 2 * depth, label(expr), shape);
    for (const auto& operand : expr.operands) expression(*operand, depth + 1);
  }

  static std::string label(const Expr& expr) {
    switch (expr.kind) {
      case ExprKind::Number: return fmt::format("number {}", expr.number);
      case ExprKind::Name: return fmt::format("name {}{}", expr.name, expr.primed ? "'" : "");
      case ExprKind::Call: return fmt::format("call {}", expr.name);
      case ExprKind::Negate: return "negate";
      case ExprKind::Binary: return binary_op_symbol(expr.binary_op);
      case ExprKind::MatMul: return "@";
      case ExprKind::Slice:
        return fmt::format("slice [{}:{}]", expr.slice_begin ? expr.slice_begin->value.to_string() : "",
                           expr.slice_end ? expr.slice_end->value.to_string() : "");
      case ExprKind::Concat: return "concat";
    }
    return "?";
  }

  std::string out_;
};

}  // namespace

std::string print_ast(const CellAst& ast) { return AstPrinter().print(ast); }

}  // namespace rnnc
