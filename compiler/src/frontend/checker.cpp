#include "rnnc/checker.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "rnnc/builtins.h"

namespace rnnc {

std::string Shape::to_string() const {
  switch (rank) {
    case 0: return "scalar";
    case 1: return fmt::format("[{}]", rows.to_string());
    default: return fmt::format("[{}, {}]", rows.to_string(), cols.to_string());
  }
}

namespace {

// What a name in an expression can refer to.
enum class ValueKind { Input, State, Param, Local };

struct Value {
  ValueKind kind;
  Shape shape;
  Span span;                 // where it is declared or defined
  std::size_t statement = 0;  // Local: index of the defining statement
  bool used = false;
  bool is_output = false;
};

const char* value_kind_name(ValueKind kind) {
  switch (kind) {
    case ValueKind::Input: return "input";
    case ValueKind::State: return "state";
    case ValueKind::Param: return "parameter";
    case ValueKind::Local: return "value";
  }
  return "value";
}

ValueKind value_kind(DeclKind kind) {
  switch (kind) {
    case DeclKind::Input: return ValueKind::Input;
    case DeclKind::State: return ValueKind::State;
    case DeclKind::Param: return ValueKind::Param;
  }
  return ValueKind::Local;
}

std::string describe_value(const std::string& name, const Value& value) {
  std::string kind = value_kind_name(value.kind);
  if (value.kind == ValueKind::Param) {
    kind = value.shape.rank == 2 ? "parameter matrix" : value.shape.rank == 1 ? "parameter vector" : "scalar parameter";
  } else if (value.kind == ValueKind::Input || value.kind == ValueKind::State) {
    kind += " vector";
  }
  return fmt::format("'{}' is {} {}", name, kind[0] == 'i' ? "an" : "a", kind);
}

class Checker {
 public:
  explicit Checker(DiagnosticEngine& diagnostics) : diagnostics_(diagnostics) {}

  std::optional<CheckedCell> run(CellAst ast) {
    check_dimensions(ast);
    for (const Declaration& declaration : ast.declarations) declare(declaration);
    collect_definitions(ast);
    for (const Statement& statement : ast.statements) statement_spans_.push_back(statement.name_span);
    for (std::size_t i = 0; i < ast.statements.size(); ++i) check_statement(ast.statements[i], i);
    report_missing_updates(ast);
    report_unused(ast);
    if (diagnostics_.has_errors()) return std::nullopt;
    return CheckedCell{std::move(ast), std::move(constraints_)};
  }

 private:
  // ---- declarations -------------------------------------------------------
  void check_dimensions(const CellAst& ast) {
    for (const NameRef& dimension : ast.dimensions) {
      if (std::find(dimensions_.begin(), dimensions_.end(), dimension.name) != dimensions_.end()) {
        diagnostics_.error(dimension.span, fmt::format("dimension '{}' is declared twice", dimension.name));
        continue;
      }
      dimensions_.push_back(dimension.name);
    }
  }

  // Checks that a dimension expression names only declared dimensions.
  bool check_dim_names(const DimExpr& expr) {
    bool ok = true;
    for (const NameRef& name : expr.names) {
      if (std::find(dimensions_.begin(), dimensions_.end(), name.name) != dimensions_.end()) continue;
      std::string message = fmt::format("unknown dimension '{}'", name.name);
      std::string suggestion = closest_name(name.name, dimensions_);
      if (!suggestion.empty()) {
        message += fmt::format("; did you mean '{}'?", suggestion);
      } else {
        message += dimensions_.empty() ? "; the cell declares no dimensions"
                                       : fmt::format("; the cell declares <{}>", fmt::join(dimensions_, ", "));
      }
      diagnostics_.error(name.span, message);
      ok = false;
    }
    return ok;
  }

  // Requires `value >= 0` for all bindings; reports definite violations now
  // and defers the undecidable ones to resolve_dimensions().
  void require_nonnegative(const DimPoly& value, Span span, const std::string& message) {
    if (value.always_nonnegative() || value == DimPoly()) return;
    if (value.always_negative()) {
      diagnostics_.error(span, message);
      return;
    }
    constraints_.push_back({value, span, message});
  }

  void declare(const Declaration& declaration) {
    std::optional<Shape> shape = declared_shape(declaration);
    if (auto existing = values_.find(declaration.name); existing != values_.end()) {
      diagnostics_.error(declaration.span, fmt::format("'{}' is declared twice", declaration.name));
      diagnostics_.note(existing->second.span, "first declared here");
      return;
    }
    values_[declaration.name] = Value{value_kind(declaration.kind), shape.value_or(Shape::scalar()), declaration.span};
    value_names_.push_back(declaration.name);
    if (!shape) poisoned_.insert(declaration.name);  // its errors are reported; spare its uses
  }

  std::optional<Shape> declared_shape(const Declaration& declaration) {
    bool ok = true;
    for (const DimExpr& extent : declaration.shape) {
      if (!check_dim_names(extent)) {
        ok = false;
        continue;
      }
      require_nonnegative(extent.value - DimPoly::constant(1), extent.span,
                          fmt::format("extent {} of '{}' is not positive", extent.value.to_string(), declaration.name));
    }
    const char* kind = declaration_kind_name(declaration.kind);
    if (declaration.kind != DeclKind::Param && declaration.shape.size() != 1) {
      diagnostics_.error(declaration.span, fmt::format("{} '{}' must be a vector: declare it as {}[N]", kind,
                                                       declaration.name, declaration.name));
      return std::nullopt;
    }
    if (!ok) return std::nullopt;
    switch (declaration.shape.size()) {
      case 0: return Shape::scalar();
      case 1: return Shape::vector(declaration.shape[0].value);
      default: return Shape::matrix(declaration.shape[0].value, declaration.shape[1].value);
    }
  }

  // Records where every statement-defined name is first defined, so that a
  // read can tell "used before its definition" from "unknown name".
  void collect_definitions(const CellAst& ast) {
    for (std::size_t i = 0; i < ast.statements.size(); ++i) {
      const Statement& statement = ast.statements[i];
      auto& table = statement.kind == StatementKind::NextState ? next_definitions_ : local_definitions_;
      table.emplace(statement.name, i);  // keeps the first
    }
  }

  // ---- statements ---------------------------------------------------------
  void check_statement(Statement& statement, std::size_t index) {
    current_statement_ = index;
    // A statement without a value did not parse; that error is reported.
    std::optional<Shape> shape = statement.value ? check_expr(*statement.value) : std::nullopt;
    switch (statement.kind) {
      case StatementKind::NextState: define_next_state(statement, shape); break;
      case StatementKind::Assign:
      case StatementKind::Output: define_local(statement, shape, index); break;
    }
  }

  void define_next_state(const Statement& statement, const std::optional<Shape>& shape) {
    auto found = values_.find(statement.name);
    if (found == values_.end() || found->second.kind != ValueKind::State) {
      std::string message;
      if (found == values_.end()) {
        message = fmt::format("unknown state '{}'", statement.name);
        std::string suggestion = closest_name(statement.name, names_of(ValueKind::State));
        if (!suggestion.empty()) message += fmt::format("; did you mean '{}'?", suggestion);
      } else {
        message = fmt::format("{}; only a state has a next value {}'", describe_value(statement.name, found->second),
                              statement.name);
      }
      diagnostics_.error(statement.name_span, message);
      return;
    }
    if (auto first = updated_states_.find(statement.name); first != updated_states_.end()) {
      diagnostics_.error(statement.name_span, fmt::format("state '{}' is updated twice", statement.name));
      diagnostics_.note(first->second, "first updated here");
      return;
    }
    updated_states_[statement.name] = statement.name_span;
    // A poisoned state's declared shape is a placeholder: nothing to compare.
    if (shape && !poisoned_.count(statement.name) && !(*shape == found->second.shape)) {
      diagnostics_.error(statement.value->span,
                         fmt::format("the next value of state '{}' must have shape {}, but this is {}", statement.name,
                                     found->second.shape.to_string(), shape->to_string()));
    }
  }

  void define_local(const Statement& statement, const std::optional<Shape>& shape, std::size_t index) {
    auto found = values_.find(statement.name);
    if (found != values_.end()) {
      const Value& existing = found->second;
      if (existing.kind == ValueKind::Local) {
        diagnostics_.error(statement.name_span, fmt::format("'{}' is defined twice", statement.name));
        diagnostics_.note(existing.span, "first defined here");
      } else if (existing.kind == ValueKind::State) {
        diagnostics_.error(statement.name_span,
                           fmt::format("cannot assign to state '{}'; write its next value as {}' = ...",
                                       statement.name, statement.name));
      } else {
        diagnostics_.error(statement.name_span,
                           fmt::format("cannot assign to {} '{}'; {}s are given, not computed",
                                       value_kind_name(existing.kind), statement.name,
                                       value_kind_name(existing.kind)));
      }
      return;
    }
    if (dimension_named(statement.name)) {
      diagnostics_.error(statement.name_span,
                         fmt::format("'{}' is a dimension of the cell; choose another name", statement.name));
      return;
    }
    Value value{ValueKind::Local, shape.value_or(Shape::scalar()), statement.name_span, index};
    value.is_output = statement.kind == StatementKind::Output;
    if (!shape) poisoned_.insert(statement.name);  // avoid cascading errors on later uses
    values_[statement.name] = value;
    value_names_.push_back(statement.name);
  }

  // ---- expressions --------------------------------------------------------
  std::optional<Shape> check_expr(Expr& expr) {
    expr.shape = compute_shape(expr);
    return expr.shape;
  }

  std::optional<Shape> compute_shape(Expr& expr) {
    switch (expr.kind) {
      case ExprKind::Number: return Shape::scalar();
      case ExprKind::Name: return check_name(expr);
      case ExprKind::Call: return check_call(expr);
      case ExprKind::Negate: {
        auto operand = check_expr(*expr.operands[0]);
        if (operand && operand->rank == 2) return matrix_misuse(*expr.operands[0]);
        return operand;
      }
      case ExprKind::Binary:
        return check_broadcast(expr, binary_op_symbol(expr.binary_op), *expr.operands[0], *expr.operands[1]);
      case ExprKind::MatMul: return check_matmul(expr);
      case ExprKind::Slice: return check_slice(expr);
      case ExprKind::Concat: return check_concat(expr);
    }
    return std::nullopt;
  }

  std::optional<Shape> check_name(Expr& expr) {
    if (expr.primed) return check_next_state_read(expr);
    auto found = values_.find(expr.name);
    if (found == values_.end()) {
      report_undefined_name(expr);
      return std::nullopt;
    }
    found->second.used = true;
    if (poisoned_.count(expr.name)) return std::nullopt;
    if (found->second.shape.rank == 2) return matrix_misuse(expr);
    return found->second.shape;
  }

  void report_undefined_name(const Expr& expr) {
    if (auto definition = local_definitions_.find(expr.name); definition != local_definitions_.end()) {
      if (definition->second == current_statement_) {
        diagnostics_.error(expr.name_span, fmt::format("'{}' is defined in terms of itself", expr.name));
      } else {
        diagnostics_.error(expr.name_span, fmt::format("'{}' is used before its definition; statements are "
                                                       "evaluated in order, so define it above this line",
                                                       expr.name));
        diagnostics_.note(statement_span(definition->second), fmt::format("'{}' is defined here", expr.name));
      }
      return;
    }
    if (dimension_named(expr.name)) {
      diagnostics_.error(expr.name_span, fmt::format("'{}' is a dimension; dimensions can only appear in "
                                                     "declared shapes and slice bounds",
                                                     expr.name));
      return;
    }
    std::string message = fmt::format("unknown name '{}'", expr.name);
    std::vector<std::string> candidates = value_names_;
    for (const auto& [name, index] : local_definitions_) candidates.push_back(name);
    std::string suggestion = closest_name(expr.name, candidates);
    if (!suggestion.empty()) message += fmt::format("; did you mean '{}'?", suggestion);
    diagnostics_.error(expr.name_span, message);
  }

  std::optional<Shape> check_next_state_read(const Expr& expr) {
    auto found = values_.find(expr.name);
    if (found == values_.end() || found->second.kind != ValueKind::State) {
      std::string message = found == values_.end()
                                ? fmt::format("unknown state '{}' in '{}''", expr.name, expr.name)
                                : fmt::format("{}; only a state has a next value {}'",
                                              describe_value(expr.name, found->second), expr.name);
      diagnostics_.error(expr.name_span, message);
      return std::nullopt;
    }
    if (updated_states_.count(expr.name)) {
      if (poisoned_.count(expr.name)) return std::nullopt;
      return found->second.shape;
    }
    auto definition = next_definitions_.find(expr.name);
    if (definition == next_definitions_.end()) {
      // The missing update itself is reported once, at the declaration.
      diagnostics_.error(expr.name_span, fmt::format("'{}'' is read, but state '{}' is never updated", expr.name,
                                                     expr.name));
    } else if (definition->second == current_statement_) {
      diagnostics_.error(expr.name_span, fmt::format("'{}'' is defined in terms of itself", expr.name));
    } else {
      diagnostics_.error(expr.name_span, fmt::format("'{}'' is used before its definition; statements are "
                                                     "evaluated in order, so define it above this line",
                                                     expr.name));
      diagnostics_.note(statement_span(definition->second), fmt::format("'{}'' is defined here", expr.name));
    }
    return std::nullopt;
  }

  std::optional<Shape> matrix_misuse(const Expr& expr) {
    diagnostics_.error(expr.span, fmt::format("parameter matrix '{}' can only be used on the left of '@', as in "
                                              "{} @ v",
                                              expr.name, expr.name));
    return std::nullopt;
  }

  std::optional<Shape> check_call(Expr& expr) {
    std::optional<Builtin> builtin = find_builtin(expr.name);
    if (!builtin) {
      for (auto& operand : expr.operands) check_expr(*operand);
      std::string message = fmt::format("unknown function '{}'", expr.name);
      std::string suggestion = closest_name(expr.name, builtin_names());
      message += suggestion.empty() ? fmt::format("; the built-ins are {}", fmt::join(builtin_names(), ", "))
                                    : fmt::format("; did you mean '{}'?", suggestion);
      diagnostics_.error(expr.name_span, message);
      return std::nullopt;
    }
    int arity = op_arity(builtin->op);
    if (expr.operands.size() != std::size_t(arity)) {
      for (auto& operand : expr.operands) check_expr(*operand);
      diagnostics_.error(expr.span, fmt::format("'{}' takes {} argument{}, but {} {} given", expr.name, arity,
                                                arity == 1 ? "" : "s", expr.operands.size(),
                                                expr.operands.size() == 1 ? "was" : "were"));
      return std::nullopt;
    }
    switch (op_class(builtin->op)) {
      case OpClass::Binary: return check_broadcast(expr, expr.name, *expr.operands[0], *expr.operands[1]);
      case OpClass::Reduce: return check_expr(*expr.operands[0]) ? std::optional(Shape::scalar()) : std::nullopt;
      default: return check_expr(*expr.operands[0]);
    }
  }

  std::optional<Shape> check_broadcast(const Expr& expr, const std::string& op, Expr& lhs, Expr& rhs) {
    auto a = check_expr(lhs);
    auto b = check_expr(rhs);
    if (!a || !b) return std::nullopt;
    if (*a == *b) return a;
    if (a->broadcasts() && b->broadcasts()) return a->rank >= b->rank ? a : b;
    if (a->broadcasts()) return b;
    if (b->broadcasts()) return a;
    diagnostics_.error(expr.span, fmt::format("shape mismatch in '{}': {} vs {}", op, a->to_string(), b->to_string()));
    return std::nullopt;
  }

  std::optional<Shape> check_matmul(Expr& expr) {
    Expr& matrix = *expr.operands[0];
    auto vector = check_expr(*expr.operands[1]);
    const Value* value = nullptr;
    if (matrix.kind == ExprKind::Name && !matrix.primed) {
      auto found = values_.find(matrix.name);
      if (found == values_.end()) {
        report_undefined_name(matrix);
        return std::nullopt;
      }
      found->second.used = true;
      if (poisoned_.count(matrix.name)) return std::nullopt;
      value = &found->second;
    }
    if (!value || value->kind != ValueKind::Param || value->shape.rank != 2) {
      std::string what = value ? describe_value(matrix.name, *value) : "this is a computed expression";
      diagnostics_.error(matrix.span,
                         fmt::format("the left side of '@' must be a parameter matrix; {}", what));
      return std::nullopt;
    }
    matrix.shape = value->shape;
    if (!vector) return std::nullopt;
    if (vector->rank != 1 || !(vector->rows == value->shape.cols)) {
      diagnostics_.error(expr.span, fmt::format("shape mismatch in '@': '{}' is {}, so the right side must be [{}], "
                                                "but it is {}",
                                                matrix.name, value->shape.to_string(), value->shape.cols.to_string(),
                                                vector->to_string()));
      return std::nullopt;
    }
    return Shape::vector(value->shape.rows);
  }

  std::optional<Shape> check_slice(Expr& expr) {
    auto operand = check_expr(*expr.operands[0]);
    bool names_ok = true;
    if (expr.slice_begin) names_ok &= check_dim_names(*expr.slice_begin);
    if (expr.slice_end) names_ok &= check_dim_names(*expr.slice_end);
    if (!operand || !names_ok) return std::nullopt;
    if (operand->rank != 1) {
      diagnostics_.error(expr.span, fmt::format("only vectors can be sliced, but this is {}", operand->to_string()));
      return std::nullopt;
    }
    DimPoly length = operand->rows;
    DimPoly begin = expr.slice_begin ? expr.slice_begin->value : DimPoly();
    DimPoly end = expr.slice_end ? expr.slice_end->value : length;
    std::string range = fmt::format("[{}:{}]", begin.to_string(), end.to_string());
    std::string out_of_range = fmt::format("slice {} is out of range for a vector of length {}", range,
                                           length.to_string());
    std::size_t errors_before = diagnostics_.error_count();
    require_nonnegative(begin, expr.span, out_of_range);
    if (diagnostics_.error_count() == errors_before) require_nonnegative(length - end, expr.span, out_of_range);
    if (diagnostics_.error_count() == errors_before) {
      require_nonnegative(end - begin - DimPoly::constant(1), expr.span,
                          fmt::format("slice {} is empty; the end must be greater than the beginning", range));
    }
    if (diagnostics_.error_count() != errors_before) return std::nullopt;
    return Shape::vector(end - begin);
  }

  std::optional<Shape> check_concat(Expr& expr) {
    DimPoly length;
    bool ok = true;
    for (auto& part : expr.operands) {
      auto shape = check_expr(*part);
      if (!shape) {
        ok = false;
        continue;
      }
      length = length + (shape->rank == 0 ? DimPoly::constant(1) : shape->rows);
    }
    if (!ok) return std::nullopt;
    // Declarations are bounded by resolve_dimensions(); a concatenation is
    // the only value that can grow past them.
    require_nonnegative(DimPoly::constant(kMaxExtent) - length, expr.span,
                        fmt::format("concatenation of length {} is longer than the limit {}", length.to_string(),
                                    kMaxExtent));
    return Shape::vector(length);
  }

  // ---- whole-cell checks --------------------------------------------------
  void report_missing_updates(const CellAst& ast) {
    for (const Declaration& declaration : ast.declarations) {
      if (declaration.kind != DeclKind::State || updated_states_.count(declaration.name)) continue;
      if (next_definitions_.count(declaration.name)) continue;  // its update had an error, already reported
      diagnostics_.error(declaration.span, fmt::format("state '{}' is never updated; add a statement {}' = ...",
                                                       declaration.name, declaration.name));
    }
  }

  void report_unused(const CellAst& ast) {
    if (diagnostics_.has_errors()) return;  // uses after an error are incomplete
    for (const Declaration& declaration : ast.declarations) {
      auto found = values_.find(declaration.name);
      if (found == values_.end() || found->second.used || found->second.kind == ValueKind::State) continue;
      diagnostics_.warning(declaration.span, fmt::format("{} '{}' is never used", declaration_kind_name(declaration.kind),
                                                         declaration.name));
    }
    for (const Statement& statement : ast.statements) {
      if (statement.kind != StatementKind::Assign) continue;
      auto found = values_.find(statement.name);
      if (found != values_.end() && !found->second.used && found->second.kind == ValueKind::Local) {
        diagnostics_.warning(statement.name_span, fmt::format("'{}' is computed but never used", statement.name));
      }
    }
  }

  // ---- helpers ------------------------------------------------------------
  bool dimension_named(const std::string& name) const {
    return std::find(dimensions_.begin(), dimensions_.end(), name) != dimensions_.end();
  }

  std::vector<std::string> names_of(ValueKind kind) const {
    std::vector<std::string> names;
    for (const auto& [name, value] : values_) {
      if (value.kind == kind) names.push_back(name);
    }
    return names;
  }

  Span statement_span(std::size_t index) const { return statement_spans_.at(index); }

  DiagnosticEngine& diagnostics_;
  std::vector<std::string> dimensions_;
  std::map<std::string, Value> values_;
  std::vector<std::string> value_names_;  // in declaration order, for suggestions
  std::map<std::string, std::size_t> local_definitions_;
  std::map<std::string, std::size_t> next_definitions_;
  std::map<std::string, Span> updated_states_;
  std::set<std::string> poisoned_;
  std::vector<Span> statement_spans_;
  std::vector<DimensionConstraint> constraints_;
  std::size_t current_statement_ = 0;
};

}  // namespace

std::optional<CheckedCell> check_cell(CellAst ast, DiagnosticEngine& diagnostics) {
  return Checker(diagnostics).run(std::move(ast));
}

}  // namespace rnnc
