#include "rnnc/parser.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <string>

#include <fmt/format.h>

#include "rnnc/lexer.h"

namespace rnnc {

Span cell_header_span(const CellAst& ast) {
  if (ast.dimensions.empty()) return ast.name_span;
  return {ast.name_span.begin, ast.dimensions.back().span.end};
}

const char* declaration_kind_name(DeclKind kind) {
  switch (kind) {
    case DeclKind::Input: return "input";
    case DeclKind::State: return "state";
    case DeclKind::Param: return "parameter";
  }
  return "declaration";
}

const char* binary_op_symbol(BinaryOp op) {
  switch (op) {
    case BinaryOp::Add: return "+";
    case BinaryOp::Sub: return "-";
    case BinaryOp::Mul: return "*";
    case BinaryOp::Div: return "/";
  }
  return "?";
}

namespace {

// Thrown after a syntax error has been reported, to unwind to the statement
// being parsed; the parser then skips to the next line.
struct SyntaxError {};
// Thrown when nesting exceeds kMaxNestingDepth; parsing stops.
struct TooDeep {};

class Parser {
 public:
  Parser(const SourceFile& file, DiagnosticEngine& diagnostics)
      : diagnostics_(diagnostics), tokens_(tokenize(file, diagnostics)) {}

  std::optional<CellAst> parse_file() {
    try {
      return parse_file_body();
    } catch (const TooDeep&) {
      return std::nullopt;
    }
  }

 private:
  std::optional<CellAst> parse_file_body() {
    if (peek().kind == TokenKind::End) {
      diagnostics_.error(peek().span, "empty file: expected a cell definition 'cell NAME<DIMS> { ... }'");
      return std::nullopt;
    }
    CellAst cell;
    try {
      parse_header(cell);
    } catch (const SyntaxError&) {
      return std::nullopt;
    }
    parse_body(cell);
    if (peek().kind != TokenKind::End) {
      diagnostics_.error(peek().span, fmt::format("expected end of file after the cell, found {}; "
                                                  "a .cell file holds one cell",
                                                  found(peek())));
    }
    return cell;
  }

  // cell NAME<D1, D2, ...> {
  void parse_header(CellAst& cell) {
    expect(TokenKind::KwCell, "at the start of a cell definition");
    const Token& name = expect(TokenKind::Identifier, "as the cell's name");
    cell.name = std::string(name.text);
    cell.name_span = name.span;
    if (accept(TokenKind::LAngle)) {
      if (peek().kind != TokenKind::RAngle) {
        do {
          const Token& dim = expect(TokenKind::Identifier, "as a dimension name");
          cell.dimensions.push_back({std::string(dim.text), dim.span});
        } while (accept(TokenKind::Comma));
      }
      expect(TokenKind::RAngle, "after the dimension names");
    }
    expect(TokenKind::LBrace, "to open the cell body");
  }

  void parse_body(CellAst& cell) {
    while (true) {
      const Token& token = peek();
      if (token.kind == TokenKind::RBrace) {
        advance();
        return;
      }
      if (token.kind == TokenKind::End) {
        diagnostics_.error(token.span, "unexpected end of file: expected '}' to close the cell");
        return;
      }
      try {
        parse_item(cell);
      } catch (const SyntaxError&) {
        skip_to_next_item();
      }
    }
  }

  void parse_item(CellAst& cell) {
    const Token& token = peek();
    switch (token.kind) {
      case TokenKind::KwInput: parse_declarations(cell, DeclKind::Input); break;
      case TokenKind::KwState: parse_declarations(cell, DeclKind::State); break;
      case TokenKind::KwParam: parse_declarations(cell, DeclKind::Param); break;
      case TokenKind::KwOutput: {
        advance();
        const Token& name = expect(TokenKind::Identifier, "as the output's name");
        parse_assignment(cell, StatementKind::Output, name);
        break;
      }
      case TokenKind::Identifier:
      case TokenKind::PrimedIdentifier: {
        advance();
        parse_assignment(cell, token.kind == TokenKind::PrimedIdentifier ? StatementKind::NextState
                                                                        : StatementKind::Assign,
                         token);
        break;
      }
      default:
        error_here(fmt::format("expected a declaration (input, state, param) or a statement, found {}",
                               found(token)));
    }
    expect_line_end();
  }

  void parse_declarations(CellAst& cell, DeclKind kind) {
    advance();  // the keyword
    do {
      const Token& name = expect(TokenKind::Identifier, fmt::format("as the {}'s name", declaration_kind_name(kind)));
      Declaration declaration{kind, std::string(name.text), name.span, {}};
      if (accept(TokenKind::LBracket)) {
        declaration.shape.push_back(parse_dim_expr());
        if (accept(TokenKind::Comma)) declaration.shape.push_back(parse_dim_expr());
        if (peek().kind == TokenKind::Comma) {
          error_here("a declaration has at most two extents: [rows, cols]");
        }
        expect(TokenKind::RBracket, "to close the shape");
      }
      cell.declarations.push_back(std::move(declaration));
    } while (accept(TokenKind::Comma));
  }

  void parse_assignment(CellAst& cell, StatementKind kind, const Token& name) {
    expect(TokenKind::Equals, fmt::format("after '{}{}'", name.text, kind == StatementKind::NextState ? "'" : ""));
    // A statement whose value does not parse is still recorded, without a
    // value, so that the checker neither calls the name unknown where it is
    // used nor reports its state as never updated.
    Statement statement{kind, std::string(name.text), name.span, nullptr};
    try {
      statement.value = parse_expr();
    } catch (const SyntaxError&) {
      cell.statements.push_back(std::move(statement));
      throw;
    }
    cell.statements.push_back(std::move(statement));
  }

  // ---- expressions, loosest binding first --------------------------------
  // expr     := product (('+' | '-') product)*
  // product  := unary (('*' | '/') unary)*
  // unary    := '-' unary | matmul
  // matmul   := postfix ('@' unary)?           (right-associative: W @ -V @ x)
  // postfix  := primary ('[' slice ']')*

  std::unique_ptr<Expr> parse_expr() {
    DepthGuard guard(*this);
    ChainDepth chain(*this);
    auto lhs = parse_product();
    while (peek().kind == TokenKind::Plus || peek().kind == TokenKind::Minus) {
      BinaryOp op = advance().kind == TokenKind::Plus ? BinaryOp::Add : BinaryOp::Sub;
      chain.deepen();
      lhs = make_binary(op, std::move(lhs), parse_product());
    }
    return lhs;
  }

  std::unique_ptr<Expr> parse_product() {
    ChainDepth chain(*this);
    auto lhs = parse_unary();
    while (peek().kind == TokenKind::Star || peek().kind == TokenKind::Slash) {
      BinaryOp op = advance().kind == TokenKind::Star ? BinaryOp::Mul : BinaryOp::Div;
      chain.deepen();
      lhs = make_binary(op, std::move(lhs), parse_unary());
    }
    return lhs;
  }

  std::unique_ptr<Expr> parse_unary() {
    if (peek().kind == TokenKind::Minus) {
      DepthGuard guard(*this);
      Span minus = advance().span;
      auto operand = parse_unary();
      auto expr = make_expr(ExprKind::Negate, {minus.begin, operand->span.end});
      expr->operands.push_back(std::move(operand));
      return expr;
    }
    return parse_matmul();
  }

  std::unique_ptr<Expr> parse_matmul() {
    auto lhs = parse_postfix();
    if (peek().kind != TokenKind::At) return lhs;
    advance();
    DepthGuard guard(*this);
    auto rhs = parse_unary();  // W @ -v is W @ (-v)
    auto expr = make_expr(ExprKind::MatMul, {lhs->span.begin, rhs->span.end});
    expr->operands.push_back(std::move(lhs));
    expr->operands.push_back(std::move(rhs));
    return expr;
  }

  std::unique_ptr<Expr> parse_postfix() {
    ChainDepth chain(*this);
    auto expr = parse_primary();
    while (peek().kind == TokenKind::LBracket) {
      advance();
      chain.deepen();
      auto slice = make_expr(ExprKind::Slice, {expr->span.begin, 0});
      if (peek().kind != TokenKind::Colon) slice->slice_begin = parse_dim_expr();
      expect(TokenKind::Colon, "in a slice 'v[begin:end]'");
      if (peek().kind != TokenKind::RBracket) slice->slice_end = parse_dim_expr();
      slice->span.end = expect(TokenKind::RBracket, "to close the slice").span.end;
      slice->operands.push_back(std::move(expr));
      expr = std::move(slice);
    }
    return expr;
  }

  std::unique_ptr<Expr> parse_primary() {
    const Token& token = peek();
    switch (token.kind) {
      case TokenKind::Number: {
        advance();
        auto expr = make_expr(ExprKind::Number, token.span);
        expr->number = parse_number(token);
        return expr;
      }
      case TokenKind::Identifier:
      case TokenKind::PrimedIdentifier: {
        advance();
        if (token.kind == TokenKind::Identifier && peek().kind == TokenKind::LParen) return parse_call(token);
        auto expr = make_expr(ExprKind::Name, token.span);
        expr->name = std::string(token.text);
        expr->primed = token.kind == TokenKind::PrimedIdentifier;
        expr->name_span = token.span;
        return expr;
      }
      case TokenKind::LParen: {
        advance();
        auto inner = parse_expr();
        Span close = expect(TokenKind::RParen, "to close the parenthesis").span;
        inner->span = {token.span.begin, close.end};
        return inner;
      }
      case TokenKind::LBracket: {
        advance();
        auto expr = make_expr(ExprKind::Concat, token.span);
        do {
          expr->operands.push_back(parse_expr());
        } while (accept(TokenKind::Comma));
        expr->span.end = expect(TokenKind::RBracket, "to close the concatenation").span.end;
        return expr;
      }
      default:
        error_expected("an expression");
    }
  }

  std::unique_ptr<Expr> parse_call(const Token& callee) {
    advance();  // '('
    auto expr = make_expr(ExprKind::Call, callee.span);
    expr->name = std::string(callee.text);
    expr->name_span = callee.span;
    if (peek().kind != TokenKind::RParen) {
      do {
        expr->operands.push_back(parse_expr());
      } while (accept(TokenKind::Comma));
    }
    expr->span.end = expect(TokenKind::RParen, fmt::format("to close the call to '{}'", callee.text)).span.end;
    return expr;
  }

  double parse_number(const Token& token) {
    std::string text(token.text);
    errno = 0;
    double value = std::strtod(text.c_str(), nullptr);
    if (errno == ERANGE || !std::isfinite(value)) {
      diagnostics_.error(token.span, fmt::format("number {} is out of range for a floating-point value", text));
    }
    return value;
  }

  // ---- dimension expressions: integers, dimension names, + - * ( ) --------
  // While parsing, each carries its size: its value with every coefficient
  // made positive and every dimension set to 2. Bounding the size keeps
  // DimPoly's arithmetic from overflowing and its polynomials small (degree
  // below 31) on any input; no sensible extent comes near the bound.
  struct SizedDimExpr {
    DimExpr expr;
    std::int64_t size = 0;
  };

  DimExpr parse_dim_expr() { return parse_dim_sum().expr; }

  SizedDimExpr parse_dim_sum() {
    DepthGuard guard(*this);
    std::size_t begin = peek().span.begin;
    SizedDimExpr result = parse_dim_term();
    while (peek().kind == TokenKind::Plus || peek().kind == TokenKind::Minus) {
      bool plus = advance().kind == TokenKind::Plus;
      SizedDimExpr rhs = parse_dim_term();
      result.size = bounded_dim_size(result.size + rhs.size, begin);
      result.expr.value = plus ? result.expr.value + rhs.expr.value : result.expr.value - rhs.expr.value;
      append_names(result.expr, rhs.expr);
    }
    result.expr.span = {begin, previous_end_};
    return result;
  }

  SizedDimExpr parse_dim_term() {
    std::size_t begin = peek().span.begin;
    SizedDimExpr result = parse_dim_factor();
    while (accept(TokenKind::Star)) {
      SizedDimExpr rhs = parse_dim_factor();
      result.size = bounded_dim_size(result.size * rhs.size, begin);
      result.expr.value = result.expr.value * rhs.expr.value;
      append_names(result.expr, rhs.expr);
    }
    return result;
  }

  SizedDimExpr parse_dim_factor() {
    const Token& token = peek();
    SizedDimExpr result;
    result.expr.span = token.span;
    if (token.kind == TokenKind::Number) {
      advance();
      std::string text(token.text);
      bool integer = text.find_first_not_of("0123456789") == std::string::npos;
      if (!integer || text.size() > 9) {
        diagnostics_.error(token.span, fmt::format("dimension expressions use integers below 10^9, found {}", text));
        throw SyntaxError{};
      }
      result.size = std::stoll(text);
      result.expr.value = DimPoly::constant(result.size);
    } else if (token.kind == TokenKind::Identifier) {
      advance();
      result.size = 2;
      result.expr.value = DimPoly::dimension(std::string(token.text));
      result.expr.names.push_back({std::string(token.text), token.span});
    } else if (token.kind == TokenKind::LParen) {
      advance();
      result = parse_dim_sum();
      expect(TokenKind::RParen, "to close the parenthesis");
    } else if (token.kind == TokenKind::Minus) {
      advance();
      DepthGuard guard(*this);
      SizedDimExpr operand = parse_dim_factor();
      result.size = operand.size;
      result.expr.value = DimPoly::constant(-1) * operand.expr.value;
      append_names(result.expr, operand.expr);
    } else {
      error_expected("a dimension expression (an integer or a dimension name)");
    }
    return result;
  }

  // Sizes are checked after every operation, so each operand is below 2^31
  // and their sum or product fits in 64 bits.
  std::int64_t bounded_dim_size(std::int64_t size, std::size_t begin) {
    if (size <= kMaxExtent) return size;
    diagnostics_.error({begin, previous_end_},
                       fmt::format("dimension expression too large; extents are limited to {}", kMaxExtent));
    throw SyntaxError{};
  }

  static void append_names(DimExpr& into, const DimExpr& from) {
    into.names.insert(into.names.end(), from.names.begin(), from.names.end());
  }

  // ---- token helpers ------------------------------------------------------
  const Token& peek() const { return tokens_[position_]; }

  const Token& advance() {
    const Token& token = tokens_[position_];
    if (token.kind != TokenKind::End) ++position_;
    previous_end_ = token.span.end;
    return token;
  }

  bool accept(TokenKind kind) {
    if (peek().kind != kind) return false;
    advance();
    return true;
  }

  const Token& expect(TokenKind kind, const std::string& context) {
    if (peek().kind == kind) return advance();
    error_expected(fmt::format("{} {}", describe(kind), context));
  }

  // Reports "expected X, found Y" inside an item. When the next line starts
  // a new item, what is missing is reported at the end of this line rather
  // than at that item's first token.
  [[noreturn]] void error_expected(const std::string& what) {
    const Token& token = peek();
    if (token.starts_line && position_ > 0 && starts_item(token.kind)) {
      diagnostics_.error({previous_end_, previous_end_}, fmt::format("expected {}, found the end of the line", what));
      throw SyntaxError{};
    }
    error_here(fmt::format("expected {}, found {}", what, found(token)));
  }

  static bool starts_item(TokenKind kind) {
    switch (kind) {
      case TokenKind::Identifier:
      case TokenKind::PrimedIdentifier:
      case TokenKind::KwInput:
      case TokenKind::KwState:
      case TokenKind::KwParam:
      case TokenKind::KwOutput:
      case TokenKind::RBrace: return true;
      default: return false;
    }
  }

  [[noreturn]] void error_here(const std::string& message) {
    diagnostics_.error(peek().span, message);
    throw SyntaxError{};
  }

  // A statement or declaration ends with its line.
  void expect_line_end() {
    const Token& token = peek();
    if (token.starts_line || token.kind == TokenKind::End || token.kind == TokenKind::RBrace) return;
    error_here(fmt::format("expected the end of the line, found {}", found(token)));
  }

  // Skips the rest of an item with an error, continuation lines included,
  // up to the next line that starts an item. parse_item() consumes the first
  // token of every item it starts, so this always moves on.
  void skip_to_next_item() {
    while (peek().kind != TokenKind::End && !(peek().starts_line && starts_item(peek().kind))) advance();
  }

  std::string found(const Token& token) const {
    switch (token.kind) {
      case TokenKind::Identifier: return fmt::format("identifier '{}'", token.text);
      case TokenKind::PrimedIdentifier: return fmt::format("'{}''", token.text);
      case TokenKind::Number: return fmt::format("number {}", token.text);
      default: return describe(token.kind);
    }
  }

  std::unique_ptr<Expr> make_expr(ExprKind kind, Span span) {
    auto expr = std::make_unique<Expr>();
    expr->kind = kind;
    expr->span = span;
    return expr;
  }

  std::unique_ptr<Expr> make_binary(BinaryOp op, std::unique_ptr<Expr> lhs, std::unique_ptr<Expr> rhs) {
    auto expr = make_expr(ExprKind::Binary, {lhs->span.begin, rhs->span.end});
    expr->binary_op = op;
    expr->operands.push_back(std::move(lhs));
    expr->operands.push_back(std::move(rhs));
    return expr;
  }

  // Counts nesting on the way down; reports once and stops parsing when the
  // bound is exceeded, so pathological input cannot overflow the stack.
  void enter_level() {
    if (++depth_ > kMaxNestingDepth) {
      diagnostics_.error(peek().span, fmt::format("expression nested too deeply (more than {} levels)", kMaxNestingDepth));
      throw TooDeep{};
    }
  }

  class DepthGuard {
   public:
    explicit DepthGuard(Parser& parser) : parser_(parser) { parser_.enter_level(); }
    ~DepthGuard() { --parser_.depth_; }
    DepthGuard(const DepthGuard&) = delete;
    DepthGuard& operator=(const DepthGuard&) = delete;

   private:
    Parser& parser_;
  };

  // A left-associative chain (a + b + c, v[..][..]) nests its tree one level
  // per operator without recursing here; count those levels too, since the
  // checker and the tree's destructor recurse over them.
  class ChainDepth {
   public:
    explicit ChainDepth(Parser& parser) : parser_(parser) {}
    void deepen() {
      ++levels_;
      parser_.enter_level();
    }
    ~ChainDepth() { parser_.depth_ -= levels_; }
    ChainDepth(const ChainDepth&) = delete;
    ChainDepth& operator=(const ChainDepth&) = delete;

   private:
    Parser& parser_;
    int levels_ = 0;
  };

  DiagnosticEngine& diagnostics_;
  std::vector<Token> tokens_;
  std::size_t position_ = 0;
  std::size_t previous_end_ = 0;
  int depth_ = 0;
};

}  // namespace

std::optional<CellAst> parse_cell(const SourceFile& file, DiagnosticEngine& diagnostics) {
  return Parser(file, diagnostics).parse_file();
}

}  // namespace rnnc
