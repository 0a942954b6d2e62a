// An outside CMake project against an installed rnnc: `cmake --install`
// of this build tree into a temporary prefix, then tests/aot_project
// configured with find_package(rnnc), built (rnnc_add_cell runs rnnc at
// build time) and run; a changed .cell file is compiled again, an
// unchanged one is not.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "diagnostics_support.h"
#include "support/temporary_directory.h"

using rnnc_test::run_command;
using rnnc_test::RunResult;

namespace {

RunResult run_checked(const std::vector<std::string>& argv) {
  RunResult result = run_command(argv);
  std::string command;
  for (const std::string& arg : argv) command += arg + " ";
  INFO(command << "\nstdout:\n" << result.out << "\nstderr:\n" << result.err);
  REQUIRE(result.exit_code == 0);
  return result;
}

}  // namespace

TEST_CASE("aot: an outside CMake project finds the installed rnnc and builds a cell with rnnc_add_cell", "[aot]") {
  rnnc::testing::TemporaryDirectory scratch;
  std::string build_tree = std::filesystem::path(RNNC_BINARY).parent_path().string();
  std::string prefix = scratch.file("prefix"), build = scratch.file("build"), cell = scratch.file("rnn.cell");
  std::filesystem::copy_file(std::string(RNNC_SOURCE_DIR) + "/dsl/rnn.cell", cell);

  run_checked({"cmake", "--install", build_tree, "--prefix", prefix});
  CHECK(std::filesystem::exists(prefix + "/bin/rnnc"));
  CHECK(std::filesystem::exists(prefix + "/include/rnnc/cell.h"));
  run_checked({"cmake", "-S", std::string(RNNC_SOURCE_DIR) + "/tests/aot_project", "-B", build,
               "-DCMAKE_PREFIX_PATH=" + prefix, "-DCELL_FILE=" + cell});
  std::vector<std::string> make = {"cmake", "--build", build};
  CHECK_THAT(run_checked(make).out, Catch::Contains("rnnc: compiling"));
  CHECK(run_checked({build + "/uses_rnnc"}).out == "uses_rnnc: passed\n");

  CHECK_THAT(run_checked(make).out, !Catch::Contains("rnnc: compiling"));
  // A later modification time than the outputs', whatever the clock's grain.
  std::ofstream(cell, std::ios::app) << "# changed\n";
  std::filesystem::last_write_time(cell, std::filesystem::file_time_type::clock::now() + std::chrono::seconds(5));
  CHECK_THAT(run_checked(make).out, Catch::Contains("rnnc: compiling"));
  CHECK(run_checked({build + "/uses_rnnc"}).exit_code == 0);
}
