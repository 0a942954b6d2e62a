#include "cli_support.h"

#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>

#include "rnnc/pipeline.h"

namespace rnnc::cli {

void add_cell_args(CLI::App& command, CellArgs& args, bool with_dimensions) {
  command.add_option("FILE", args.path, "the .cell file")->required();
  if (with_dimensions) {
    command.add_option("-D", args.dimensions, "bind a dimension, NAME=VALUE (repeat for each dimension)")
        ->allow_extra_args(false);
  }
}

void add_target_args(CLI::App& command, TargetOptions& target) {
  command.add_option("--target-cpu", target.cpu, "LLVM CPU name, e.g. x86-64 (default: the host)");
  command.add_option("--target-features", target.features, "LLVM features, e.g. +avx2,-fma");
}

void add_no_cache_flag(CLI::App& command) {
  command.add_flag_callback(
      "--no-cache", [] { ::setenv("RNNC_CACHE", "off", 1); },
      "compile without the kernel cache, neither reading nor writing it (as RNNC_CACHE=off)");
}

DimensionArgs parse_dimension_args(const std::vector<std::string>& args) {
  DimensionArgs result;
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

SourceFile load_source(const std::string& path) {
  if (std::filesystem::is_directory(path)) throw UsageError{fmt::format("'{}' is a directory, not a .cell file", path)};
  auto file = read_source_file(path);
  if (!file) throw UsageError{file.error().message};
  return *file;
}

std::optional<Graph> load_graph(const CellArgs& args) {
  DimensionArgs dimensions = parse_dimension_args(args.dimensions);
  SourceFile file = load_source(args.path);
  DiagnosticEngine diagnostics(file);
  std::optional<Graph> graph = build_ir(file, dimensions, diagnostics);
  diagnostics.print(std::cerr);
  return graph;
}

}  // namespace rnnc::cli
