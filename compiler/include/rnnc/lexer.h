// Splits .cell source text into tokens. Unexpected characters are reported
// and skipped, so that the parser still sees the rest of the file.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "rnnc/diagnostics.h"

namespace rnnc {

#define RNNC_TOKEN_KINDS(X)                                                                 \
  X(Identifier, "identifier") X(PrimedIdentifier, "next-state name") X(Number, "number")   \
  X(KwCell, "'cell'") X(KwInput, "'input'") X(KwState, "'state'") X(KwParam, "'param'")    \
  X(KwOutput, "'output'") X(LBrace, "'{'") X(RBrace, "'}'") X(LAngle, "'<'")               \
  X(RAngle, "'>'") X(LBracket, "'['") X(RBracket, "']'") X(LParen, "'('") X(RParen, "')'") \
  X(Comma, "','") X(Colon, "':'") X(Equals, "'='") X(Plus, "'+'") X(Minus, "'-'")          \
  X(Star, "'*'") X(Slash, "'/'") X(At, "'@'") X(End, "end of file")

enum class TokenKind {
#define RNNC_TOKEN_ENUM(name, text) name,
  RNNC_TOKEN_KINDS(RNNC_TOKEN_ENUM)
#undef RNNC_TOKEN_ENUM
};

// How a token kind is described in "expected X, found Y" messages.
const char* describe(TokenKind kind);

struct Token {
  TokenKind kind;
  Span span;
  std::string_view text;  // for identifiers, without the prime
  bool starts_line = false;  // first token on its line; used for error recovery
};

// Tokenizes the whole file; the last token is always End.
std::vector<Token> tokenize(const SourceFile& file, DiagnosticEngine& diagnostics);

}  // namespace rnnc
