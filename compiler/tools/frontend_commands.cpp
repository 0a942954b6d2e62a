// rnnc check, rnnc ir (and its --emit).
#include <iostream>
#include <memory>

#include "cli_support.h"
#include "emit_stages.h"

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
  struct Options {
    CellArgs cell;
    std::string emit = "ir";
    TargetOptions target;
  };
  auto options = std::make_shared<Options>();
  CLI::App* command = app.add_subcommand(
      "ir", "Print the simplified IR of a cell with its dimensions bound, or with --emit another stage.");
  add_cell_args(*command, options->cell, true);
  command->add_option("--emit", options->emit,
                      "the stage to print: ast, ir, grad, llvm (before optimization), llvm-opt, asm");
  add_target_args(*command, options->target);
  return {command, [options] {
            Stage stage = parse_stage(options->emit);
            AotOptions aot;
            aot.target = options->target;
            std::optional<Lowered> lowered = lower(options->cell, {stage}, aot, /*to_object=*/false);
            if (!lowered) return kExitFailure;
            std::cout << lowered->texts.at(stage);
            return 0;
          }};
}

}  // namespace rnnc::cli
