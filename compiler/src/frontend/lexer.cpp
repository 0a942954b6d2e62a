#include "rnnc/lexer.h"

#include <cctype>

#include <fmt/format.h>

namespace rnnc {

const char* describe(TokenKind kind) {
  switch (kind) {
#define RNNC_TOKEN_DESCRIBE(name, text) \
  case TokenKind::name: return text;
    RNNC_TOKEN_KINDS(RNNC_TOKEN_DESCRIBE)
#undef RNNC_TOKEN_DESCRIBE
  }
  return "token";
}

namespace {

bool is_identifier_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool is_identifier_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }
bool is_digit(char c) { return std::isdigit(static_cast<unsigned char>(c)); }

TokenKind keyword_or_identifier(std::string_view word) {
  if (word == "cell") return TokenKind::KwCell;
  if (word == "input") return TokenKind::KwInput;
  if (word == "state") return TokenKind::KwState;
  if (word == "param") return TokenKind::KwParam;
  if (word == "output") return TokenKind::KwOutput;
  return TokenKind::Identifier;
}

TokenKind punctuation(char c, bool& known) {
  known = true;
  switch (c) {
    case '{': return TokenKind::LBrace;
    case '}': return TokenKind::RBrace;
    case '<': return TokenKind::LAngle;
    case '>': return TokenKind::RAngle;
    case '[': return TokenKind::LBracket;
    case ']': return TokenKind::RBracket;
    case '(': return TokenKind::LParen;
    case ')': return TokenKind::RParen;
    case ',': return TokenKind::Comma;
    case ':': return TokenKind::Colon;
    case '=': return TokenKind::Equals;
    case '+': return TokenKind::Plus;
    case '-': return TokenKind::Minus;
    case '*': return TokenKind::Star;
    case '/': return TokenKind::Slash;
    case '@': return TokenKind::At;
    default: known = false; return TokenKind::End;
  }
}

// Describes a byte for a message: printable characters as themselves,
// anything else by its code, so binary input yields a readable error.
std::string describe_character(unsigned char c) {
  if (c >= 0x21 && c < 0x7f) return fmt::format("'{}'", char(c));
  return fmt::format("byte 0x{:02x}", c);
}

}  // namespace

std::vector<Token> tokenize(const SourceFile& file, DiagnosticEngine& diagnostics) {
  const std::string& text = file.text;
  std::vector<Token> tokens;
  // Every token takes a byte or more, so this never reallocates; on huge
  // input that saves copying hundreds of megabytes, and the part a file of
  // long tokens leaves unused is never touched.
  tokens.reserve(text.size() + 1);
  bool at_line_start = true;
  std::size_t i = 0;
  auto push = [&](TokenKind kind, std::size_t begin, std::size_t end, std::string_view word) {
    tokens.push_back({kind, {begin, end}, word, at_line_start});
    at_line_start = false;
  };

  while (i < text.size()) {
    char c = text[i];
    if (c == '\n') {
      at_line_start = true;
      ++i;
    } else if (c == ' ' || c == '\t' || c == '\r') {
      ++i;
    } else if (c == '#') {
      while (i < text.size() && text[i] != '\n') ++i;
    } else if (is_identifier_start(c)) {
      std::size_t begin = i;
      while (i < text.size() && is_identifier_char(text[i])) ++i;
      std::string_view word(text.data() + begin, i - begin);
      if (i < text.size() && text[i] == '\'') {
        ++i;
        push(TokenKind::PrimedIdentifier, begin, i, word);
      } else {
        push(keyword_or_identifier(word), begin, i, word);
      }
    } else if (is_digit(c) || (c == '.' && i + 1 < text.size() && is_digit(text[i + 1]))) {
      // Decimal literal: digits, optional fraction, optional exponent.
      std::size_t begin = i;
      while (i < text.size() && is_digit(text[i])) ++i;
      if (i < text.size() && text[i] == '.') {
        ++i;
        while (i < text.size() && is_digit(text[i])) ++i;
      }
      if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
        std::size_t exponent = i + 1;
        if (exponent < text.size() && (text[exponent] == '+' || text[exponent] == '-')) ++exponent;
        if (exponent < text.size() && is_digit(text[exponent])) {
          i = exponent;
          while (i < text.size() && is_digit(text[i])) ++i;
        }
      }
      push(TokenKind::Number, begin, i, std::string_view(text.data() + begin, i - begin));
    } else {
      bool known = false;
      TokenKind kind = punctuation(c, known);
      if (known) {
        push(kind, i, i + 1, std::string_view(text.data() + i, 1));
      } else {
        std::string message = "unexpected character " + describe_character(c);
        if (c == '\'') message += "; a prime must follow a state name directly, as in h'";
        if (c == ';') message += "; statements end at the end of the line";
        diagnostics.error({i, i + 1}, message);
      }
      ++i;
    }
  }
  // Point end-of-file at the end of the last token so that the caret shows
  // where the text stopped rather than an empty line.
  std::size_t end = tokens.empty() ? text.size() : tokens.back().span.end;
  tokens.push_back({TokenKind::End, {end, end}, {}, true});
  return tokens;
}

}  // namespace rnnc
