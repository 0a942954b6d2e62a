// rnnc grad, rnnc gradcheck: the derived backward step, and its check
// against finite differences in the interpreter.
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "cli_support.h"
#include "rnnc/autodiff.h"
#include "rnnc/equation_printer.h"
#include "rnnc/gradcheck.h"

namespace rnnc::cli {

Command add_grad_command(CLI::App& app) {
  auto args = std::make_shared<CellArgs>();
  CLI::App* command = app.add_subcommand(
      "grad", "Print the derived backward step as equations, and what the forward pass saves for it.");
  add_cell_args(*command, *args, true);
  return {command, [args] {
            std::optional<Graph> graph = load_graph(*args);
            if (!graph) return kExitFailure;
            std::cout << print_backward_equations(*graph, differentiate(*graph));
            return 0;
          }};
}

Command add_gradcheck_command(CLI::App& app) {
  struct Options {
    CellArgs cell;
    GradcheckOptions check;
  };
  auto options = std::make_shared<Options>();
  CLI::App* command = app.add_subcommand(
      "gradcheck",
      fmt::format("Compare every derived gradient with central finite differences in double precision on random "
                  "data; exit 0 only when the worst relative error is at most {:g}.",
                  kGradcheckTolerance));
  add_cell_args(*command, options->cell, true);
  command->add_option("--steps", options->check.steps, "sequence length T")->check(CLI::Range(1, 100000));
  command->add_option("--batch", options->check.batch, "batch size B")->check(CLI::Range(1, 100000));
  command->add_option("--seed", options->check.seed, "random seed");
  return {command, [options] {
            std::optional<Graph> graph = load_graph(options->cell);
            if (!graph) return kExitFailure;
            bool ok = true;
            std::cout << fmt::format("{:<28} {:>16} {:>14}\n", "gradient", "checked", "worst rel err");
            for (const GradientCheck& check : gradcheck(*graph, options->check)) {
              bool passed = check.worst_error <= kGradcheckTolerance;
              ok = ok && passed;
              std::cout << fmt::format("{:<28} {:>7} of {:>5} {:>14.3e}{}\n", check.name, check.checked,
                                       check.elements, check.worst_error, passed ? "" : "  FAIL");
            }
            std::cout << (ok ? "gradcheck passed" : "gradcheck FAILED")
                      << fmt::format(" (tolerance {:g}, T={}, B={}, seed {})\n", kGradcheckTolerance,
                                     options->check.steps, options->check.batch, options->check.seed);
            return ok ? 0 : kExitFailure;
          }};
}

}  // namespace rnnc::cli
