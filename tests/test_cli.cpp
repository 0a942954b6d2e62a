// The rnnc command line: a usage mistake prints exactly one line
// `rnnc: error: ...` on stderr, nothing on stdout, and exits with 2; --help
// exits with 0. Mistakes that depend on the cell (a dimension it does not
// declare, or one left unbound) are diagnostics at the cell's header, exit 1.
#include <filesystem>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "diagnostics_support.h"

using rnnc_test::RunResult;
using rnnc_test::run_rnnc;

namespace {

const std::string kRnnCell = std::string(RNNC_SOURCE_DIR) + "/dsl/rnn.cell";

// Checks that `args` is rejected as a usage error whose one-line message
// contains `fragment`.
void check_usage_error(const std::vector<std::string>& args, const std::string& fragment) {
  RunResult result = run_rnnc(args);
  INFO("stderr: " << result.err);
  CHECK(result.exit_code == 2);
  CHECK(result.out.empty());
  CHECK(result.err.rfind("rnnc: error: ", 0) == 0);
  CHECK(result.err.find('\n') == result.err.size() - 1);
  CHECK(result.err.find(fragment) != std::string::npos);
}

}  // namespace

TEST_CASE("cli: an unknown verb is named, with the verbs there are", "[cli]") {
  check_usage_error({"link", kRnnCell}, "unknown command 'link'; the commands are check, ir");
  check_usage_error({"", kRnnCell}, "unknown command ''");
}

TEST_CASE("cli: a missing verb is a usage error", "[cli]") {
  check_usage_error({}, "no command given; the commands are check, ir");
}

TEST_CASE("cli: an unknown option is a usage error", "[cli]") {
  check_usage_error({"check", "--frobnicate", kRnnCell}, "unexpected argument '--frobnicate' for 'rnnc check'");
  check_usage_error({"ir", kRnnCell, "-D", "H=4", "-D", "I=3", "--fast", "-q"},
                    "unexpected arguments '--fast', '-q' for 'rnnc ir'");
  check_usage_error({"--verbose"}, "unknown option '--verbose' before the command");
  check_usage_error({"--frobnicate", "check", kRnnCell}, "unknown option '--frobnicate' before the command");
  // -D belongs to `ir`; extra positional arguments are rejected too.
  check_usage_error({"check", kRnnCell, "-D", "H=4"}, "unexpected arguments '-D', 'H=4' for 'rnnc check'");
  check_usage_error({"check", kRnnCell, kRnnCell}, "unexpected argument '" + kRnnCell + "'");
}

TEST_CASE("cli: a file that cannot be read is a usage error", "[cli]") {
  check_usage_error({"check"}, "FILE is required");
  check_usage_error({"check", "/nonexistent/dir/missing.cell"},
                    "cannot open '/nonexistent/dir/missing.cell': No such file or directory");
  check_usage_error({"ir", "/nonexistent/missing.cell", "-D", "H=4"}, "cannot open '/nonexistent/missing.cell'");
  std::string directory = std::string(RNNC_SOURCE_DIR) + "/dsl";
  check_usage_error({"check", directory}, "'" + directory + "' is a directory, not a .cell file");
  check_usage_error({"ir", directory, "-D", "H=4"}, "is a directory");
}

TEST_CASE("cli: a malformed -D is a usage error that quotes it", "[cli]") {
  check_usage_error({"ir", kRnnCell, "-D"}, "-D needs a value, as in -D H=256");
  check_usage_error({"ir", kRnnCell, "-D", "I=3", "-D"}, "-D needs a value");
  check_usage_error({"ir", kRnnCell, "-D", "H"}, "malformed dimension '-D H': expected NAME=VALUE, e.g. -D H=256");
  check_usage_error({"ir", kRnnCell, "-D", "H="}, "malformed dimension '-D H=': '' is not an integer");
  check_usage_error({"ir", kRnnCell, "-D", "H=x"}, "malformed dimension '-D H=x': 'x' is not an integer");
  check_usage_error({"ir", kRnnCell, "-D", "=3"}, "malformed dimension '-D =3': expected NAME=VALUE");
  check_usage_error({"ir", kRnnCell, "-D", "H=99999999999999999999"},
                    "malformed dimension '-D H=99999999999999999999': '99999999999999999999' is not an integer in "
                    "range");
  check_usage_error({"ir", kRnnCell, "-D", "H=3.5"}, "'3.5' is not an integer");
  check_usage_error({"ir", kRnnCell, "-D", "H=4x"}, "'4x' is not an integer");
  check_usage_error({"ir", kRnnCell, "-D", "4=4"}, "malformed dimension '-D 4=4'");
  check_usage_error({"ir", kRnnCell, "-D", "H = 4"}, "malformed dimension '-D H = 4'");
  // A malformed binding is reported even when the file is also missing.
  check_usage_error({"ir", "/nonexistent/missing.cell", "-D", "H"}, "malformed dimension '-D H'");
}

TEST_CASE("cli: a dimension the cell does not declare is reported at its header", "[cli]") {
  RunResult result = run_rnnc({"ir", kRnnCell, "-D", "I=3", "-D", "H=4", "-D", "K=2"});
  INFO("stderr: " << result.err);
  CHECK(result.exit_code == 1);
  CHECK(result.out.empty());
  CHECK(result.err.find("rnn.cell:3:6: error: cell 'rnn' has no dimension 'K'; it declares <I, H>") !=
        std::string::npos);
}

TEST_CASE("cli: a missing -D names the dimension that has no value", "[cli]") {
  RunResult result = run_rnnc({"ir", kRnnCell, "-D", "I=3"});
  INFO("stderr: " << result.err);
  CHECK(result.exit_code == 1);
  CHECK(result.out.empty());
  CHECK(result.err.find("rnn.cell:3:13: error: dimension 'H' has no value; bind it, e.g. H=64") !=
        std::string::npos);
  CHECK(result.err.find("1 error generated.") != std::string::npos);

  result = run_rnnc({"ir", kRnnCell});
  CHECK(result.exit_code == 1);
  CHECK(result.err.find("dimension 'I' has no value") != std::string::npos);
  CHECK(result.err.find("dimension 'H' has no value") != std::string::npos);

  result = run_rnnc({"ir", kRnnCell, "-D", "I=3", "-D", "H=4", "-D", "H=5"});
  CHECK(result.exit_code == 1);
  CHECK(result.err.find("dimension 'H' is given a value twice") != std::string::npos);
}

TEST_CASE("cli: --help prints the usage of each verb and exits with 0", "[cli]") {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--help"}, {"-h"}, {"check", "--help"}, {"ir", "--help"}, {"ir", kRnnCell, "--help"}}) {
    RunResult result = run_rnnc(args);
    INFO(args.front() << " " << args.back());
    CHECK(result.exit_code == 0);
    CHECK(result.err.empty());
    CHECK(result.out.find("Usage: rnnc") != std::string::npos);
  }
  CHECK(run_rnnc({"check", "--help"}).out.find("Usage: rnnc check [OPTIONS] FILE") != std::string::npos);
  std::string ir_help = run_rnnc({"ir", "--help"}).out;
  CHECK(ir_help.find("Usage: rnnc ir [OPTIONS] FILE") != std::string::npos);
  CHECK(ir_help.find("-D") != std::string::npos);
}

TEST_CASE("cli: a valid command succeeds, with the IR on stdout only", "[cli]") {
  RunResult check = run_rnnc({"check", kRnnCell});
  CHECK(check.exit_code == 0);
  CHECK(check.out.empty());
  CHECK(check.err.empty());

  RunResult ir = run_rnnc({"ir", kRnnCell, "-D", "I=3", "-D", "H=4"});
  CHECK(ir.exit_code == 0);
  CHECK(ir.err.empty());
  CHECK(ir.out.rfind("cell rnn<I=3, H=4>", 0) == 0);
  // The options may come before the file.
  CHECK(run_rnnc({"ir", "-D", "I=3", "-D", "H=4", kRnnCell}).out == ir.out);
}
