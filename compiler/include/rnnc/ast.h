// The syntax tree of one .cell file, as written; the checker annotates it.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rnnc/diagnostics.h"
#include "rnnc/dim_poly.h"
#include "rnnc/shape.h"

namespace rnnc {

struct NameRef {
  std::string name;
  Span span;
};

// A dimension expression such as `4*H`: its value, and the dimension names
// it mentions with their spans so that unknown names can be reported.
struct DimExpr {
  DimPoly value;
  Span span;
  std::vector<NameRef> names;
};

enum class ExprKind { Number, Name, Call, Negate, Binary, MatMul, Slice, Concat };
enum class BinaryOp { Add, Sub, Mul, Div };

struct Expr {
  ExprKind kind;
  Span span;
  double number = 0;                // Number
  std::string name;                 // Name: the name read; Call: the function
  bool primed = false;              // Name: `h'`, the next value of state h
  Span name_span;                   // Name and Call: the name itself
  BinaryOp binary_op = BinaryOp::Add;
  // Negate: [x]; Binary: [lhs, rhs]; MatMul: [matrix, vector]; Call: args;
  // Slice: [vector]; Concat: parts.
  std::vector<std::unique_ptr<Expr>> operands;
  std::optional<DimExpr> slice_begin, slice_end;  // Slice; absent means 0 / length

  // Filled in by the checker; nullopt where the expression has an error.
  std::optional<Shape> shape;
};

enum class DeclKind { Input, State, Param };

struct Declaration {
  DeclKind kind;
  std::string name;
  Span span;                   // the name
  std::vector<DimExpr> shape;  // empty: scalar; one: vector; two: matrix
};

enum class StatementKind { Assign, NextState, Output };

struct Statement {
  StatementKind kind;
  std::string name;  // for NextState, the state's name without the prime
  Span name_span;
  std::unique_ptr<Expr> value;
};

struct CellAst {
  std::string name;
  Span name_span;
  std::vector<NameRef> dimensions;
  std::vector<Declaration> declarations;
  std::vector<Statement> statements;
};

const char* declaration_kind_name(DeclKind kind);
// `name<I, H>` of the cell's header, where errors about the whole cell go.
Span cell_header_span(const CellAst& ast);
const char* binary_op_symbol(BinaryOp op);

}  // namespace rnnc
