// The rnnc command. Each verb lives in a *_commands.cpp file.
// Exit codes: 0 success, 1 the cell has errors or a check failed,
// 2 bad command line or file.
#include <iostream>
#include <new>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli_support.h"
#include "rnnc/cell.h"
#include "rnnc/toolchain.h"

using namespace rnnc::cli;

int main(int argc, char** argv) {
  CLI::App app{"rnnc: a compiler for recurrent neural-network cells written in the .cell language."};
  app.name("rnnc");
  app.require_subcommand(1);
  app.fallthrough(false);

  app.set_version_flag("--version", [] {
    rnnc::Toolchain toolchain = rnnc::describe_toolchain();
    return fmt::format("rnnc {}\nLLVM {}\nhost CPU: {}\nhost features: {}", RNNC_VERSION, toolchain.llvm_version,
                       toolchain.host_cpu, toolchain.host_features);
  }, "Print rnnc's version, its LLVM's, and the host CPU and features it compiles for by default");

  std::vector<Command> commands = {add_check_command(app),     add_ir_command(app),     add_grad_command(app),
                                   add_gradcheck_command(app), add_verify_command(app), add_bench_command(app),
                                   add_compile_command(app),   add_cache_command(app)};

  // CLI11 would call a missing or unknown verb, or an option before the
  // verb, a missing subcommand; say which it is instead.
  std::vector<std::string> names;
  for (const Command& command : commands) names.push_back(command.app->get_name());
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
  if (first.starts_with('-') && first != "-h" && first != "--help" && first != "--version") {
    std::cerr << fmt::format("rnnc: error: unknown option '{}' before the command; see 'rnnc --help'\n", first);
    return kExitUsage;
  }
  // Left-over arguments are reported below, in the order given: CLI11's own
  // message lists them reversed.
  for (const Command& command : commands) command.app->allow_extras();
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
  for (const Command& command : commands) {
    std::vector<std::string> extras = command.app->remaining();
    if (!command.app->parsed() || extras.empty()) continue;
    for (std::string& extra : extras) extra = "'" + extra + "'";
    std::cerr << fmt::format("rnnc: error: unexpected argument{} {} for 'rnnc {}'; see 'rnnc {} --help'\n",
                             extras.size() == 1 ? "" : "s", fmt::join(extras, ", "), command.app->get_name(),
                             command.app->get_name());
    return kExitUsage;
  }

  try {
    for (const Command& command : commands) {
      if (command.app->parsed()) return command.run();
    }
  } catch (const UsageError& error) {
    std::cerr << "rnnc: error: " << error.message << "\n";
    return kExitUsage;
  } catch (const rnnc::RuntimeError& error) {
    std::cerr << "rnnc: error: " << error.what() << "\n";
    return kExitUsage;
  } catch (const std::bad_alloc&) {
    std::cerr << "rnnc: error: out of memory; try smaller dimensions, --steps or --batch\n";
    return kExitUsage;
  }
  return kExitUsage;
}
