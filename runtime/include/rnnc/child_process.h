// Running another program (gnuplot for loss curves; espeak-ng, flite and
// sox for the speech example's data) as a child process, without a shell:
// arguments are passed as they are, never parsed or expanded.
#pragma once

#include <string>
#include <vector>

namespace rnnc {

// Runs argv[0] (looked up on PATH) with the arguments, its input empty and
// its output discarded, and waits for it. Throws RuntimeError with a
// one-line reason when it is not installed, fails to start, or exits
// non-zero (with the first line it wrote to stderr).
void run_program(const std::vector<std::string>& argv);

}  // namespace rnnc
