// `rnnc compile`, `--emit` and `--version` from the command line. Every bad
// input is a golden case in tests/golden_cli/: NAME.args holds the
// arguments, one a line ($OUT is a fresh empty directory; rnnc runs in the
// source tree), NAME.expected `exit N` and then exactly what rnnc prints
// on stderr. A failing command prints nothing on stdout and leaves no file.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "diagnostics_support.h"
#include "support/temporary_directory.h"

using rnnc_test::run_rnnc;
using rnnc_test::RunResult;

namespace {

const std::string kLstm = std::string(RNNC_SOURCE_DIR) + "/dsl/lstm.cell";

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

}  // namespace

TEST_CASE("cli: each bad compile or emit gets its golden message and exit code, and no output file", "[cli][aot]") {
  std::vector<std::filesystem::path> cases;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(RNNC_SOURCE_DIR) + "/tests/golden_cli")) {
    if (entry.path().extension() == ".args") cases.push_back(entry.path());
  }
  std::sort(cases.begin(), cases.end());
  REQUIRE(cases.size() >= 15);
  for (const std::filesystem::path& args_file : cases) {
    rnnc::testing::TemporaryDirectory out;
    std::vector<std::string> args;
    std::ifstream lines(args_file);
    for (std::string line; std::getline(lines, line);) args.push_back(replace_all(line, "$OUT", out.path().string()));
    std::filesystem::path expected_file = args_file;
    std::string expected = rnnc_test::read_whole_file(expected_file.replace_extension(".expected").string());

    RunResult result = run_rnnc(args, RNNC_SOURCE_DIR);
    INFO(args_file.stem().string() << "\nstderr:\n" << result.err);
    CHECK("exit " + std::to_string(result.exit_code) + "\n" + replace_all(result.err, out.path().string(), "$OUT") ==
          expected);
    CHECK(result.out.empty());
    CHECK(out.entries().empty());
  }
}

TEST_CASE("cli: compile writes PREFIX.o and PREFIX.h, and with --emit every stage", "[cli][aot]") {
  rnnc::testing::TemporaryDirectory out;
  RunResult plain = run_rnnc({"compile", kLstm, "-D", "I=8", "-D", "H=16", "-o", out.file("lstm")});
  INFO(plain.err);
  REQUIRE(plain.exit_code == 0);
  CHECK(plain.out.empty());
  CHECK(plain.err.empty());
  CHECK(out.entries() == std::vector<std::string>{"lstm.h", "lstm.o"});
  std::string header = rnnc_test::read_whole_file(out.file("lstm.h"));
  CHECK_THAT(header, Catch::Contains("#define LSTM_DIM_H 16"));
  CHECK_THAT(header, Catch::Contains("static inline int lstm_forward_inference("));

  RunResult emitted = run_rnnc({"compile", kLstm, "-D", "I=8", "-D", "H=16", "-o", out.file("cell"), "--name", "cell",
                                "--emit", "ast,ir,grad", "--emit=llvm,llvm-opt,asm"});
  INFO(emitted.err);
  REQUIRE(emitted.exit_code == 0);
  CHECK(out.entries() == std::vector<std::string>{"cell.ast", "cell.grad", "cell.h", "cell.ir", "cell.ll", "cell.o",
                                                  "cell.opt.ll", "cell.s", "lstm.h", "lstm.o"});
  CHECK_THAT(rnnc_test::read_whole_file(out.file("cell.h")), Catch::Contains("cell_kernel_backward("));
  // Each file is what `rnnc ir --emit=STAGE` prints.
  for (const auto& [stage, extension] : std::vector<std::pair<std::string, std::string>>{
           {"ast", ".ast"}, {"ir", ".ir"}, {"grad", ".grad"}, {"asm", ".s"}}) {
    RunResult printed = run_rnnc({"ir", kLstm, "-D", "I=8", "-D", "H=16", "--emit=" + stage});
    INFO(stage);
    CHECK(printed.exit_code == 0);
    std::string written = rnnc_test::read_whole_file(out.file("cell" + extension));
    CHECK(printed.out == (stage == "asm" ? replace_all(written, "cell_kernel", "lstm_kernel") : written));
  }
  CHECK(rnnc_test::read_whole_file(out.file("cell.grad")) == run_rnnc({"grad", kLstm, "-D", "I=8", "-D", "H=16"}).out);
  CHECK_THAT(rnnc_test::read_whole_file(out.file("cell.ast")), Catch::StartsWith("cell lstm<I, H>\n  input x[I]\n"));
  CHECK_THAT(rnnc_test::read_whole_file(out.file("cell.ll")), Catch::Contains("define void @cell_kernel_backward("));
  CHECK_THAT(rnnc_test::read_whole_file(out.file("cell.opt.ll")),
             Catch::Contains("define void @cell_kernel_backward("));
  CHECK_THAT(rnnc_test::read_whole_file(out.file("cell.s")), Catch::Contains("cell_kernel_backward:"));
}

TEST_CASE("cli: compile for another x86-64 CPU names it in the header", "[cli][aot]") {
  rnnc::testing::TemporaryDirectory out;
  RunResult result = run_rnnc({"compile", kLstm, "-D", "I=8", "-D", "H=16", "-o", out.file("lstm"), "--target-cpu",
                               "x86-64-v2", "--target-features", "-sse4.2"});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  std::string header = rnnc_test::read_whole_file(out.file("lstm.h"));
  CHECK_THAT(header, Catch::Contains("It was compiled for the CPU x86-64-v2"));
  CHECK_THAT(header, !Catch::Contains("avx"));
}

TEST_CASE("cli: a failed compile leaves an earlier output as it was", "[cli][aot]") {
  rnnc::testing::TemporaryDirectory out;
  std::ofstream(out.file("lstm.o")) << "earlier";
  RunResult result = run_rnnc({"compile", kLstm, "-D", "I=8", "-o", out.file("lstm")});
  CHECK(result.exit_code == 1);
  CHECK(out.entries() == std::vector<std::string>{"lstm.o"});
  CHECK(rnnc_test::read_whole_file(out.file("lstm.o")) == "earlier");
}

TEST_CASE("cli: --version names rnnc, LLVM and the host CPU", "[cli]") {
  RunResult result = run_rnnc({"--version"});
  CHECK(result.exit_code == 0);
  CHECK(result.err.empty());
  CHECK_THAT(result.out, Catch::StartsWith("rnnc "));
  CHECK_THAT(result.out, Catch::Contains("\nLLVM 19."));
  CHECK_THAT(result.out, Catch::Contains("\nhost CPU: "));
  CHECK_THAT(result.out, Catch::Contains("\nhost features: +"));
}
