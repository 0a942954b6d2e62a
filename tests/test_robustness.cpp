// The front end on hostile input, in process: empty, binary, truncated,
// pathologically nested or oversized files, and every standard cell cut short
// or corrupted at many positions. Nothing may crash, hang or overflow the
// stack; broken input gets at least one error; input that checks cleanly
// must also lower to IR that verifies.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "rnnc/cell.h"
#include <vector>

#include <catch2/catch.hpp>

#include "rnnc/frontend.h"
#include "rnnc/pipeline.h"
#include "rnnc/ir.h"
#include "rnnc/lexer.h"

namespace fs = std::filesystem;

namespace {

struct Outcome {
  bool checked = false;  // parse_and_check returned a cell
  std::size_t errors = 0;
  std::string printed;  // every diagnostic, as rnnc prints them
  std::vector<std::string> dimensions;
};

Outcome check_text(const std::string& text) {
  rnnc::SourceFile file{"input.cell", text};
  rnnc::DiagnosticEngine diagnostics(file);
  std::optional<rnnc::CheckedCell> cell = rnnc::parse_and_check(file, diagnostics);
  Outcome outcome;
  outcome.checked = cell.has_value();
  outcome.errors = diagnostics.error_count();
  std::ostringstream printed;
  diagnostics.print(printed);
  outcome.printed = printed.str();
  if (cell) {
    for (const rnnc::NameRef& dimension : cell->ast.dimensions) outcome.dimensions.push_back(dimension.name);
  }
  return outcome;
}

bool has_message(const Outcome& outcome, const std::string& fragment) {
  return outcome.printed.find(fragment) != std::string::npos;
}

// Checks a file's text: a cell comes back exactly when there is no error,
// and then it also lowers, binds (every dimension to 4) and simplifies to IR
// that verifies. The one excuse for failing to bind is a condition that the
// checker had to leave to the binding (a slice [0:I] of a vector of length
// H, say), reported with the values that break it.
void check_consistent(const std::string& text) {
  Outcome outcome = check_text(text);
  INFO(text);
  INFO(outcome.printed);
  REQUIRE(outcome.checked == (outcome.errors == 0));
  if (!outcome.checked) return;
  rnnc::DimensionArgs dimensions;
  for (const std::string& name : outcome.dimensions) dimensions.emplace_back(name, 4);
  rnnc::SourceFile file{"input.cell", text};
  rnnc::DiagnosticEngine diagnostics(file);
  std::optional<rnnc::Graph> graph = rnnc::build_ir(file, dimensions, diagnostics);
  CHECK(graph.has_value() == !diagnostics.has_errors());
  if (!graph) {
    for (const rnnc::Diagnostic& diagnostic : diagnostics.diagnostics()) {
      INFO(diagnostic.message);
      CHECK(diagnostic.message.find(" (with ") != std::string::npos);
    }
    return;
  }
  rnnc::verify_graph(*graph);  // aborts when broken
  CHECK(graph->is_bound());
}

std::string read_file(const fs::path& path) {
  std::ifstream stream(path, std::ios::binary);
  std::ostringstream text;
  text << stream.rdbuf();
  return text.str();
}

std::vector<std::pair<std::string, std::string>> standard_cells() {
  std::vector<std::pair<std::string, std::string>> cells;
  for (const fs::directory_entry& entry : fs::directory_iterator(fs::path(RNNC_SOURCE_DIR) / "dsl")) {
    if (entry.path().extension() == ".cell") cells.emplace_back(entry.path().filename(), read_file(entry.path()));
  }
  std::sort(cells.begin(), cells.end());
  return cells;
}

// A cell whose next value of h is `expression`.
std::string cell_with(const std::string& expression) {
  return "cell c<H> {\n  state h[H]\n  h' = " + expression + "\n}\n";
}

std::string repeat(const std::string& text, int times) {
  std::string result;
  result.reserve(text.size() * std::size_t(times));
  for (int i = 0; i < times; ++i) result += text;
  return result;
}

// Whether `position` is inside a comment, past its '#' and before its end:
// corrupting such a byte only changes the comment, so the mutation tests
// skip those (the '#' and the line end are still corrupted).
bool inside_comment(const std::string& text, std::size_t position) {
  if (text[position] == '\n') return false;
  std::size_t newline = text.rfind('\n', position);
  return text.find('#', newline == std::string::npos ? 0 : newline + 1) < position;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

constexpr std::size_t kTenMegabytes = 10 * 1024 * 1024;

}  // namespace

TEST_CASE("robustness: an empty or blank file is one error, not a crash", "[robustness]") {
  for (const std::string& text : {std::string(), std::string(" \t\r\n\n   \n"), std::string("# only a comment\n")}) {
    Outcome outcome = check_text(text);
    CHECK_FALSE(outcome.checked);
    CHECK(outcome.errors == 1);
    CHECK(has_message(outcome, "error: empty file: expected a cell definition"));
  }
}

TEST_CASE("robustness: binary garbage gives errors whose printed lines are plain text", "[robustness]") {
  std::mt19937 random(20240611);
  for (int round = 0; round < 200; ++round) {
    std::string text(std::uniform_int_distribution<std::size_t>(1, 2048)(random), '\0');
    for (char& c : text) c = char(std::uniform_int_distribution<int>(0, 255)(random));
    if (round % 2 == 1) text = "cell c<H> {\n" + text;  // garbage inside a cell body
    Outcome outcome = check_text(text);
    CHECK_FALSE(outcome.checked);
    CHECK(outcome.errors > 0);
    // Control bytes and invalid UTF-8 are replaced, so a terminal is not garbled.
    CHECK(std::all_of(outcome.printed.begin(), outcome.printed.end(), [](char c) {
      return c == '\n' || c == '\t' || (c >= 0x20 && c < 0x7f);
    }));
  }
}

TEST_CASE("robustness: a line that starts with a stray token is reported once", "[robustness]") {
  for (const char* stray : {")", "]", ",", "*", "=", "@", ":", ">", "/", "5", "cell", "{", "h' h' h'"}) {
    INFO(stray);
    Outcome outcome = check_text("cell c<H> {\n  state h[H]\n  " + std::string(stray) + "\n  h' = h\n}\n");
    CHECK_FALSE(outcome.checked);
    CHECK(outcome.errors == 1);
    CHECK(has_message(outcome, "input.cell:3:"));
  }
}

TEST_CASE("robustness: a file cut short is an error", "[robustness]") {
  std::string lstm = read_file(fs::path(RNNC_SOURCE_DIR) / "dsl" / "lstm.cell");
  Outcome outcome = check_text(lstm.substr(0, lstm.find("c' =") + 8));
  CHECK_FALSE(outcome.checked);
  CHECK(has_message(outcome, "error: unexpected end of file: expected '}' to close the cell"));
  outcome = check_text(lstm.substr(0, lstm.find("cell lstm<") + 11));
  CHECK_FALSE(outcome.checked);
  CHECK(has_message(outcome, "error: expected '>' after the dimension names, found end of file"));
}

TEST_CASE("robustness: 10 MB of nesting is rejected quickly without overflowing the stack", "[robustness]") {
  struct Case {
    std::string what, text, location;
  };
  const std::vector<Case> cases{
      {"parentheses", cell_with(std::string(kTenMegabytes, '(') + "h"), "input.cell:3:264:"},
      {"negations", cell_with(std::string(kTenMegabytes, '-') + "h"), "input.cell:3:263:"},
      {"concatenations", cell_with(std::string(kTenMegabytes, '[') + "h"), "input.cell:3:264:"},
      // Dimension expressions have a parser of their own; a megabyte will do.
      {"a dimension in parentheses", "cell c<H> {\n  state h[" + std::string(1 << 20, '(') + "H]\n}\n",
       "input.cell:2:267:"},
      {"a negated dimension", "cell c<H> {\n  state h[" + std::string(1 << 20, '-') + "H]\n}\n",
       "input.cell:2:267:"},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    auto start = std::chrono::steady_clock::now();
    Outcome outcome = check_text(c.text);
    CHECK(seconds_since(start) < 5);
    CHECK_FALSE(outcome.checked);
    CHECK(outcome.errors == 1);
    CHECK(has_message(outcome, c.location));
    CHECK(has_message(outcome, "error: expression nested too deeply (more than 256 levels)"));
  }
}

// Chains build trees as deep as they are long without recursion in the
// parser; the checker and the tree's destructor would recurse over them.
TEST_CASE("robustness: long operator chains are bounded like nesting", "[robustness]") {
  const std::vector<std::pair<std::string, std::string>> chains{
      {"sums", "h" + repeat(" + h", 200000)},
      {"products", "h" + repeat("*h", 200000)},
      {"slices", "h" + repeat("[0:]", 200000)},
      {"matrix products", repeat("W @ ", 200000) + "h"},
  };
  for (const auto& [what, expression] : chains) {
    INFO(what);
    Outcome outcome = check_text(cell_with(expression));
    CHECK_FALSE(outcome.checked);
    CHECK(outcome.errors == 1);
    CHECK(has_message(outcome, "error: expression nested too deeply (more than 256 levels)"));
  }
  // Within the bound, a long chain is fine.
  check_consistent(cell_with("h" + repeat(" + h", 200)));
}

TEST_CASE("robustness: very long identifiers are handled in linear time", "[robustness]") {
  std::string a(1 << 20, 'a'), b = std::string(1 << 20, 'a') + "b";
  auto start = std::chrono::steady_clock::now();
  // Unknown names close to declared ones, both a megabyte long: no quadratic
  // search for a suggestion.
  Outcome outcome = check_text("cell c<H> {\n  state h[H]\n  param " + a + "[H]\n  h' = h + " + b + "\n}\n");
  CHECK_FALSE(outcome.checked);
  CHECK(outcome.errors == 1);
  CHECK(has_message(outcome, "error: unknown name '" + b + "'\n"));
  // A long cell name, dimension name and value name that are fine.
  check_consistent("cell " + a + "<" + b + "> {\n  state h[" + b + "]\n  " + a + " = h\n  h' = " + a + "\n}\n");
  CHECK(seconds_since(start) < 5);
}

TEST_CASE("robustness: huge numbers are errors, never overflows", "[robustness]") {
  struct Case {
    std::string text, message;
  };
  const std::vector<Case> cases{
      {cell_with("h * 1e999999"), "error: number 1e999999 is out of range for a floating-point value"},
      {cell_with("h * " + std::string(100000, '9')), "is out of range for a floating-point value"},
      {"cell c<H> {\n  state h[99999999999999999999]\n  h' = h\n}\n",
       "error: dimension expressions use integers below 10^9, found 99999999999999999999"},
      {"cell c<H> {\n  state h[1000000000]\n  h' = h\n}\n",
       "error: dimension expressions use integers below 10^9, found 1000000000"},
      {"cell c<H> {\n  state h[H]\n  h' = h[0:1.5]\n}\n",
       "error: dimension expressions use integers below 10^9, found 1.5"},
      {"cell c<H> {\n  state h[999999999*999999999*999999999]\n  h' = h\n}\n",
       "input.cell:2:11: error: dimension expression too large; extents are limited to 2147483647"},
      {"cell c<H> {\n  state h[H]\n  h' = h[0:999999999*999999999 - 999999999*999999999]\n}\n",
       "error: dimension expression too large"},
      {"cell c<H> {\n  state h[H" + repeat("*H", 100000) + "]\n  h' = h\n}\n", "error: dimension expression too large"},
      {"cell c<H> {\n  state h[1" + repeat("*(H+1)", 100000) + "]\n  h' = h\n}\n",
       "error: dimension expression too large"},
  };
  for (const Case& c : cases) {
    INFO(c.text.substr(0, 200));
    auto start = std::chrono::steady_clock::now();
    Outcome outcome = check_text(c.text);
    CHECK(seconds_since(start) < 2);
    CHECK_FALSE(outcome.checked);
    CHECK(has_message(outcome, c.message));
  }
  // Large numbers within the limits are fine.
  check_consistent("cell c<H> {\n  state h[H]\n  param w[999999999]\n  h' = h * sum(w) * 1e300\n}\n");
}

TEST_CASE("robustness: every standard cell cut short anywhere before its '}' is an error", "[robustness]") {
  for (const auto& [name, text] : standard_cells()) {
    INFO(name);
    std::size_t close = text.rfind('}');
    REQUIRE(close != std::string::npos);
    for (std::size_t length = 0; length <= close; ++length) {
      Outcome outcome = check_text(text.substr(0, length));
      if (outcome.errors == 0) FAIL_CHECK("no error for the first " << length << " bytes:\n" << text.substr(0, length));
      CHECK_FALSE(outcome.checked);
    }
    for (std::size_t length = close + 1; length <= text.size(); ++length) check_consistent(text.substr(0, length));
  }
}

TEST_CASE("robustness: every standard cell corrupted anywhere fails cleanly or still compiles", "[robustness]") {
  std::mt19937 random(7);
  const std::string printable = "()[]{}<>,:=+-*/@'#;$\"\\`~!?.0123456789eEHIPxhzabW_ \t\n\r";
  auto random_byte = [&](bool printable_byte) {
    if (printable_byte) return printable[std::uniform_int_distribution<std::size_t>(0, printable.size() - 1)(random)];
    int byte = std::uniform_int_distribution<int>(0, 0x20 + 0x80)(random);  // control, DEL or high byte
    return char(byte < 0x20 ? byte : 0x7f + (byte - 0x20));
  };
  for (const auto& [name, text] : standard_cells()) {
    INFO(name);
    check_consistent(text);
    for (std::size_t position = 0; position < text.size(); ++position) {
      if (inside_comment(text, position)) continue;
      for (bool printable_byte : {true, false}) {
        std::string corrupted = text;
        corrupted[position] = random_byte(printable_byte);
        check_consistent(corrupted);
      }
      std::string inserted = text;
      inserted.insert(position, 1, random_byte(true));
      check_consistent(inserted);
    }
    rnnc::SourceFile file{name, text};
    rnnc::DiagnosticEngine diagnostics(file);
    for (const rnnc::Token& token : rnnc::tokenize(file, diagnostics)) {
      std::size_t begin = token.span.begin, length = token.span.end - token.span.begin;
      if (length == 0) continue;  // end of file
      std::string word = text.substr(begin, length);
      check_consistent(std::string(text).erase(begin, length));
      check_consistent(std::string(text).insert(token.span.end, word));
      check_consistent(std::string(text).insert(token.span.end, word).insert(token.span.end, 1, ' '));
    }
  }
}

TEST_CASE("robustness: a cell too large for the kernels' buffers is refused before anything is allocated", "[robustness]") {
  // Each parameter is within the per-parameter limit, both together are not.
  rnnc::SourceFile wide{"wide.cell",
                        "cell wide<H> {\n  state h[H]\n  param W[H, H], U[H, H]\n  h' = tanh(W @ h + U @ h)\n}\n"};
  CHECK_THROWS_WITH(rnnc::Cell(wide, {{"H", 40000}}), Catch::Contains("wide.cell:1:6: error: cell 'wide' has 3200000000"));
  // Within every bound at binding, but its packed weights (a whole panel
  // per row of W) are not: refused by the code generator, before LLVM
  // optimizes or compiles anything.
  rnnc::SourceFile narrow{"narrow.cell",
                          "cell narrow<H, P> {\n  input x[H]\n  state h[P]\n  param W[P, H]\n  h' = tanh(W @ x + h)\n}\n"};
  CHECK_THROWS_WITH(rnnc::Cell(narrow, {{"H", 1000000000}, {"P", 1}}),
                    Catch::Contains("narrow.cell: error: cell 'narrow' with H = 1000000000, P = 1: its packed weights need"));
}
