// The rnnc command: `rnnc check FILE`, `rnnc ir FILE -D NAME=VALUE ...`.
// Exit codes: 0 success, 1 the cell has errors, 2 bad command line or file.
#include <charconv>
#include <filesystem>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "rnnc/frontend.h"
#include "rnnc/ir_printer.h"

namespace {

constexpr int kExitCellErrors = 1;
constexpr int kExitUsage = 2;

// A command-line mistake: reported as one line, exit code 2.
struct UsageError {
  std::string message;
};

rnnc::DimensionArgs parse_dimension_args(const std::vector<std::string>& args) {
  rnnc::DimensionArgs result;
  for (const std::string& arg : args) {
    std::size_t equals = arg.find('=');
    std::string name = arg.substr(0, equals);
    bool name_ok = !name.empty() && (std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_') &&
                   std::all_of(name.begin(), name.end(),
                               [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
    if (equals == std::string::npos || !name_ok) {
      throw UsageError{fmt::format("malformed dimension '-D {}': expected NAME=VALUE, e.g. -D H=256", arg)};
    }
    std::string text = arg.substr(equals + 1);
    std::int64_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
      throw UsageError{fmt::format("malformed dimension '-D {}': '{}' is not an integer{}", arg, text,
                                   error == std::errc::result_out_of_range ? " in range" : "")};
    }
    result.emplace_back(name, value);
  }
  return result;
}

rnnc::SourceFile load(const std::string& path) {
  if (std::filesystem::is_directory(path)) throw UsageError{fmt::format("'{}' is a directory, not a .cell file", path)};
  std::string error;
  std::optional<rnnc::SourceFile> file = rnnc::read_source_file(path, error);
  if (!file) throw UsageError{error};
  return *file;
}

int run_check(const std::string& path) {
  rnnc::SourceFile file = load(path);
  rnnc::DiagnosticEngine diagnostics(file);
  bool ok = rnnc::parse_and_check(file, diagnostics).has_value();
  diagnostics.print(std::cerr);
  return ok ? 0 : kExitCellErrors;
}

int run_ir(const std::string& path, const std::vector<std::string>& dimension_args) {
  rnnc::DimensionArgs dimensions = parse_dimension_args(dimension_args);
  rnnc::SourceFile file = load(path);
  rnnc::DiagnosticEngine diagnostics(file);
  std::optional<rnnc::Graph> graph = rnnc::build_ir(file, dimensions, diagnostics);
  diagnostics.print(std::cerr);
  if (!graph) return kExitCellErrors;
  std::cout << rnnc::print_graph(*graph);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"rnnc: a compiler for recurrent neural-network cells written in the .cell language."};
  app.name("rnnc");
  app.require_subcommand(1);
  app.fallthrough(false);

  std::string path;
  std::vector<std::string> dimension_args;

  CLI::App* check = app.add_subcommand("check", "Parse and check a .cell file; print its diagnostics.");
  check->add_option("FILE", path, "the .cell file")->required();

  CLI::App* ir = app.add_subcommand("ir", "Print the simplified IR of a cell with its dimensions bound.");
  ir->add_option("FILE", path, "the .cell file")->required();
  ir->add_option("-D", dimension_args, "bind a dimension, NAME=VALUE (repeat for each dimension)")
      ->allow_extra_args(false);

  // CLI11 would call a missing or unknown verb, or an option before the
  // verb, a missing subcommand; say which it is instead.
  std::vector<CLI::App*> verbs = app.get_subcommands([](CLI::App*) { return true; });
  std::vector<std::string> names;
  for (CLI::App* verb : verbs) names.push_back(verb->get_name());
  if (argc == 1) {
    std::cerr << fmt::format("rnnc: error: no command given; the commands are {}; see 'rnnc --help'\n",
                             fmt::join(names, ", "));
    return kExitUsage;
  }
  std::string_view first = argv[1];
  if (!first.starts_with('-') && std::find(names.begin(), names.end(), first) == names.end()) {
    std::cerr << fmt::format("rnnc: error: unknown command '{}'; the commands are {}\n", first, fmt::join(names, ", "));
    return kExitUsage;
  }
  if (first.starts_with('-') && first != "-h" && first != "--help") {
    std::cerr << fmt::format("rnnc: error: unknown option '{}' before the command; see 'rnnc --help'\n", first);
    return kExitUsage;
  }
  // Left-over arguments are reported below, in the order given: CLI11's own
  // message lists them reversed.
  for (CLI::App* verb : verbs) verb->allow_extras();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    if (error.get_exit_code() == 0) return app.exit(error);
    std::string message = error.what();
    // CLI11 words a -D without its value as "-D: 1 required TEXT missing".
    if (message.starts_with("-D: ")) message = "-D needs a value, as in -D H=256";
    std::cerr << fmt::format("rnnc: error: {}; see 'rnnc --help'\n", message);
    return kExitUsage;
  }
  for (CLI::App* verb : verbs) {
    std::vector<std::string> extras = verb->remaining();
    if (!verb->parsed() || extras.empty()) continue;
    for (std::string& extra : extras) extra = "'" + extra + "'";
    std::cerr << fmt::format("rnnc: error: unexpected argument{} {} for 'rnnc {}'; see 'rnnc {} --help'\n",
                             extras.size() == 1 ? "" : "s", fmt::join(extras, ", "), verb->get_name(),
                             verb->get_name());
    return kExitUsage;
  }

  try {
    if (check->parsed()) return run_check(path);
    return run_ir(path, dimension_args);
  } catch (const UsageError& error) {
    std::cerr << "rnnc: error: " << error.message << "\n";
    return kExitUsage;
  }
}
