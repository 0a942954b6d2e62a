// What every rnnc command shares: exit codes, the one-line usage error, the
// FILE and -D arguments, and loading a cell with its diagnostics printed.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "rnnc/frontend.h"
#include "rnnc/jit.h"

namespace rnnc::cli {

constexpr int kExitFailure = 1;  // the cell has errors, or a check failed
constexpr int kExitUsage = 2;    // bad command line or unreadable file

// A command-line mistake: reported as one line, exit code 2.
struct UsageError {
  std::string message;
};

struct CellArgs {
  std::string path;
  std::vector<std::string> dimensions;  // NAME=VALUE
};

// Adds FILE (and, when asked, repeated -D NAME=VALUE) to a command.
void add_cell_args(CLI::App& command, CellArgs& args, bool with_dimensions);

// Adds --target-cpu and --target-features.
void add_target_args(CLI::App& command, TargetOptions& target);

// Adds --no-cache: this run neither reads nor writes the kernel cache (it
// sets RNNC_CACHE=off for the process, which rnnc/kernel_cache.h reads).
void add_no_cache_flag(CLI::App& command);

DimensionArgs parse_dimension_args(const std::vector<std::string>& args);
SourceFile load_source(const std::string& path);

// The cell's bound, simplified IR; prints its diagnostics to stderr.
std::optional<Graph> load_graph(const CellArgs& args);

// A registered command: its CLI11 subcommand and what runs when it is chosen.
struct Command {
  CLI::App* app;
  std::function<int()> run;
};

Command add_check_command(CLI::App& app);
Command add_ir_command(CLI::App& app);
Command add_grad_command(CLI::App& app);
Command add_gradcheck_command(CLI::App& app);
Command add_verify_command(CLI::App& app);
Command add_bench_command(CLI::App& app);
Command add_compile_command(CLI::App& app);
Command add_cache_command(CLI::App& app);

}  // namespace rnnc::cli
