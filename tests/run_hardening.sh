#!/usr/bin/env bash
# The hardening half of the test command: the whole project built again with
# clang-19 under AddressSanitizer and UndefinedBehaviorSanitizer (and
# libFuzzer's coverage instrumentation) in build-sanitize/, then every CTest
# case there (but one, below): the suite, the examples, and the two fuzzers for
# RNNC_FUZZ_SECONDS (60) each from the committed corpus (tests/fuzz/).
# Any finding fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-19/bin/llvm-symbolizer
CC=clang-19 CXX=clang++-19 cmake -S . -B build-sanitize -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_FLAGS=-gline-tables-only -DCMAKE_CXX_FLAGS=-gline-tables-only \
  -DRNNC_SANITIZE=ON -DRNNC_FUZZ=ON -DRNNC_BUILD_BENCH=OFF
cmake --build build-sanitize -j"$(nproc)"
# All but the one test of running out of memory: ASan's operator new ends
# the process on a failed allocation instead of throwing std::bad_alloc.
ctest --test-dir build-sanitize --output-on-failure -j"$(nproc)" -E "^cli: a sequence too large for memory"
