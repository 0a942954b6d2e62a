// rnnc compile: a cell ahead of time, as PREFIX.o and PREFIX.h (and, with
// --emit, the intermediate stages as PREFIX.ast, PREFIX.ll and so on).
#include <fmt/format.h>

#include <memory>

#include "cli_support.h"
#include "emit_stages.h"
#include "output_files.h"

namespace rnnc::cli {

Command add_compile_command(CLI::App& app) {
  struct Options {
    CellArgs cell;
    std::string prefix;
    AotOptions aot;
    std::vector<std::string> emit;
  };
  auto options = std::make_shared<Options>();
  CLI::App* command =
      app.add_subcommand("compile",
                         "Compile a cell ahead of time into PREFIX.o (its kernels; links with libc alone) and PREFIX.h "
                         "(a C99 header that calls them).");
  add_cell_args(*command, options->cell, true);
  command->add_option("-o,--output", options->prefix, "output prefix: writes PREFIX.o and PREFIX.h")->required();
  command->add_option("--name", options->aot.name,
                      "C identifier the header's functions start with (default: the cell's name)");
  add_target_args(*command, options->aot.target);
  add_no_cache_flag(*command);
  command
      ->add_option("--emit", options->emit, "also write stages as PREFIX.<stage>: ast, ir, grad, llvm, llvm-opt, asm")
      ->delimiter(',');
  return {command, [options] {
            if (!options->aot.name.empty() && !is_c_identifier(options->aot.name)) {
              throw UsageError{fmt::format("--name '{}' is not a C identifier", options->aot.name)};
            }
            std::vector<Stage> stages;
            for (const std::string& name : options->emit) stages.push_back(parse_stage(name));
            std::optional<Lowered> lowered = lower(options->cell, stages, options->aot, /*to_object=*/true);
            if (!lowered) return kExitFailure;
            OutputFiles outputs;
            outputs.add(options->prefix + ".o", lowered->aot->object);
            outputs.add(options->prefix + ".h", c_header(*lowered->aot));
            for (const auto& [stage, text] : lowered->texts) {
              outputs.add(options->prefix + stage_name(stage).extension, text);
            }
            outputs.commit();
            return 0;
          }};
}

}  // namespace rnnc::cli
