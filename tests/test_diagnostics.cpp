// Golden tests of the diagnostics, one small file per error class: the real
// rnnc binary runs on tests/diagnostics/NAME.cell and what it prints on
// stderr must equal NAME.expected byte for byte. It must exit with 1 when the
// golden file reports errors and with 0 when it holds only warnings.
//
// NAME.args, when present, replaces the default command `check`: the verb,
// then further arguments (e.g. `ir -D H=0 -D I=3`); the file name goes right
// after the verb. rnnc runs inside tests/diagnostics with the bare file name,
// so the paths in the messages do not depend on where the tree lives.
//
// After a deliberate change to a message, regenerate the golden files with
//   RNNC_UPDATE_GOLDEN=1 build/tests/test_diagnostics
// and read every changed .expected file (git diff tests/diagnostics) before
// committing it: each must be a clear message with the caret under the span.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "diagnostics_support.h"

namespace fs = std::filesystem;
using rnnc_test::read_whole_file;
using rnnc_test::run_rnnc;

namespace {

const fs::path kGoldenDir = fs::path(RNNC_SOURCE_DIR) / "tests" / "diagnostics";

// The case names (NAME of NAME.cell), sorted.
std::vector<std::string> golden_cases() {
  std::vector<std::string> names;
  for (const fs::directory_entry& entry : fs::directory_iterator(kGoldenDir)) {
    if (entry.path().extension() == ".cell") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> split_words(const std::string& text) {
  std::istringstream stream(text);
  std::vector<std::string> words;
  for (std::string word; stream >> word;) words.push_back(word);
  return words;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream stream(text);
  for (std::string line; std::getline(stream, line);) lines.push_back(line);
  return lines;
}

// The arguments rnnc gets for a case: `check NAME.cell` or those of NAME.args.
std::vector<std::string> case_arguments(const std::string& name) {
  std::vector<std::string> words{"check"};
  if (fs::path args = kGoldenDir / (name + ".args"); fs::exists(args)) words = split_words(read_whole_file(args));
  REQUIRE_FALSE(words.empty());
  words.insert(words.begin() + 1, name + ".cell");
  return words;
}

bool update_requested() {
  const char* value = std::getenv("RNNC_UPDATE_GOLDEN");
  return value != nullptr && std::string(value) == "1";
}

bool reports_errors(const std::string& expected) {
  return expected.find(" generated.\n") != std::string::npos;
}

}  // namespace

TEST_CASE("diagnostics: each golden .cell file gives exactly its expected diagnostics", "[diagnostics]") {
  for (const std::string& name : golden_cases()) {
    DYNAMIC_SECTION(name) {
      fs::path expected_path = kGoldenDir / (name + ".expected");
      rnnc_test::RunResult result = run_rnnc(case_arguments(name), kGoldenDir.string());
      if (update_requested()) {
        std::ofstream(expected_path, std::ios::binary) << result.err;
        WARN("rewrote " << expected_path.string() << "; review it before committing");
        continue;
      }
      REQUIRE(fs::exists(expected_path));
      std::string expected = read_whole_file(expected_path);
      CHECK(result.err == expected);
      CHECK(result.exit_code == (reports_errors(expected) ? 1 : 0));
      CHECK(result.out.empty());
    }
  }
}

TEST_CASE("diagnostics: the golden files cover every class of diagnostic", "[diagnostics]") {
  const std::vector<std::string> required{
      "unknown_name", "unknown_dimension", "unknown_function", "wrong_argument_count",
      "matmul_left_not_matrix", "matmul_shape_mismatch", "elementwise_shape_mismatch", "slice_out_of_range",
      "slice_out_of_range_at_bind", "state_never_updated", "state_updated_twice", "defined_twice",
      "declared_twice", "assign_to_input", "assign_to_parameter", "use_before_definition", "self_definition",
      "cyclic_definition", "unexpected_character", "unexpected_token", "unexpected_end_of_file",
      "missing_closing_brace", "missing_parenthesis", "empty_file", "dimension_zero", "dimension_negative",
      "unused_parameter", "unused_input", "several_errors", "parameters_too_large_together",
      "step_values_too_large"};
  std::vector<std::string> cases = golden_cases();
  for (const std::string& name : required) {
    INFO(name);
    CHECK(std::find(cases.begin(), cases.end(), name) != cases.end());
  }
}

// Checks the golden files against their sources, independently of rnnc:
// every diagnostic names its own file, quotes the right source line, has its
// caret at the column it states, and the error count in the summary is right.
TEST_CASE("diagnostics: the golden files are well formed", "[diagnostics]") {
  const std::regex header(R"(^([^:]+):(\d+):(\d+): (error|warning|note): .+$)");
  const std::regex caret_line(R"(^ *\^~*$)");
  for (const std::string& name : golden_cases()) {
    fs::path expected_path = kGoldenDir / (name + ".expected");
    if (!fs::exists(expected_path)) continue;  // reported by the test above
    INFO(name);
    std::vector<std::string> source = split_lines(read_whole_file(kGoldenDir / (name + ".cell")));
    std::vector<std::string> lines = split_lines(read_whole_file(expected_path));
    std::size_t errors = 0;
    std::size_t i = 0;
    for (; i < lines.size(); i += 3) {
      std::smatch match;
      if (!std::regex_match(lines[i], match, header)) break;
      INFO(lines[i]);
      CHECK(match[1] == name + ".cell");
      std::size_t line = std::stoul(match[2]);
      std::size_t column = std::stoul(match[3]);
      errors += match[4] == "error";
      REQUIRE(i + 2 < lines.size());
      CHECK(lines[i + 1] == (line <= source.size() ? source[line - 1] : ""));
      CHECK(std::regex_match(lines[i + 2], caret_line));
      CHECK(lines[i + 2].find('^') + 1 == column);
    }
    if (errors == 0) {
      CHECK(i == lines.size());
    } else {
      REQUIRE(i + 1 == lines.size());
      CHECK(lines[i] == std::to_string(errors) + (errors == 1 ? " error generated." : " errors generated."));
    }
  }
}
