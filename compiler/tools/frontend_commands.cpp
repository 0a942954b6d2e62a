// rnnc check, rnnc ir.
#include <iostream>
#include <memory>

#include "cli_support.h"
#include "rnnc/ir_printer.h"

namespace rnnc::cli {

Command add_check_command(CLI::App& app) {
  auto args = std::make_shared<CellArgs>();
  CLI::App* command = app.add_subcommand("check", "Parse and check a .cell file; print its diagnostics.");
  add_cell_args(*command, *args, false);
  return {command, [args] {
            SourceFile file = load_source(args->path);
            DiagnosticEngine diagnostics(file);
            bool ok = parse_and_check(file, diagnostics).has_value();
            diagnostics.print(std::cerr);
            return ok ? 0 : kExitFailure;
          }};
}

Command add_ir_command(CLI::App& app) {
  auto args = std::make_shared<CellArgs>();
  CLI::App* command = app.add_subcommand("ir", "Print the simplified IR of a cell with its dimensions bound.");
  add_cell_args(*command, *args, true);
  return {command, [args] {
            std::optional<Graph> graph = load_graph(*args);
            if (!graph) return kExitFailure;
            std::cout << print_graph(*graph);
            return 0;
          }};
}

}  // namespace rnnc::cli
