// JIT kernels (forward inference, forward training, backward) against the
// reference interpreter, for every shipped cell and for random cells, at
// every instruction-set level the host runs and on the host CPU, across
// shapes that hit tail cases.
#include <catch2/catch.hpp>

#include <filesystem>
#include <iostream>

#include "rnnc/aot.h"
#include "rnnc/verify.h"
#include "support/cells.h"
#include "support/isa_levels.h"
#include "support/random_cell.h"

using rnnc::testing::all_dimensions;
using rnnc::testing::isa_level;
using rnnc::testing::IsaLevel;
using rnnc::testing::shipped_cells;

namespace {

void require_verified(rnnc::Cell& cell, std::int64_t steps, std::int64_t batch, int threads) {
  cell.set_threads(threads);
  for (const rnnc::VerifiedBuffer& buffer : rnnc::verify_cell(cell, steps, batch, 3)) {
    INFO(cell.graph().cell_name << " T=" << steps << " B=" << batch << " threads " << threads << ": " << buffer.name);
    CHECK(buffer.worst_error <= rnnc::kVerifyTolerance);
  }
}

// The kernels of every cell are checked at each instruction-set level
// (support/isa_levels.h): SSE2, AVX2+FMA and AVX-512 where the host runs
// them, and the host's own CPU, which is what a Cell gets by default. A level
// the host cannot run is compiled and its assembly checked instead.

// Every extent in {1, 3, 7, 17, 33, 64} (tails of every vector width) is
// used, each cell taking 1, 17 and one of the others in turn. Every shape
// runs on 1 and on 2 threads (2 threads split every product's columns and
// every pointwise loop's samples, so B = 1 leaves the second thread idle).
void verify_shipped_cells(const rnnc::TargetOptions& target, int vector_width) {
  const std::int64_t rotating[] = {3, 7, 33, 64};
  std::vector<std::string> paths = shipped_cells();
  for (std::size_t c = 0; c < paths.size(); ++c) {
    for (std::int64_t extent : {std::int64_t(1), std::int64_t(17), rotating[c % 4]}) {
      INFO(paths[c] << " extent " << extent << " cpu '" << target.cpu << "'");
      rnnc::Cell cell = rnnc::Cell::from_file(paths[c], all_dimensions(paths[c], extent), target);
      if (vector_width) REQUIRE(cell.compiled().vector_width() == vector_width);
      for (auto [steps, batch] : {std::pair{1, 1}, std::pair{2, 2}, std::pair{2, 3}, std::pair{7, 5}, std::pair{2, 16}}) {
        for (int threads : {1, 2}) require_verified(cell, steps, batch, threads);
      }
    }
  }
}

// Random cells from the whole language at small odd shapes.
void verify_random_cells(const rnnc::TargetOptions& target) {
  for (std::uint32_t seed = 1; seed <= 60; ++seed) {
    rnnc::testing::RandomCell random = rnnc::testing::generate_random_cell(seed);
    INFO(random.text);
    rnnc::Cell cell({"random.cell", random.text}, {{"I", 3 + seed % 5}, {"H", 3 + seed % 7}}, target);
    require_verified(cell, 1 + seed % 3, 1 + seed % 4, 1 + int(seed % 3));
  }
}

// The columns per GEMM panel at a target: of a small cell compiled for it.
std::int64_t panel_width(const rnnc::TargetOptions& target) {
  rnnc::SourceFile file{"c.cell", "cell c<H> {\n state h[H]\n param W[H, H]\n h' = tanh(W @ h)\n}\n"};
  return rnnc::Cell(file, {{"H", 1}}, target).compiled().panel_width();
}

// A step whose values are elementwise over blocks of hidden units runs
// block by block, each thread taking whole GEMM panels of units
// (SequencePlan::step_unit). Extents two panels wide, so that two threads
// split the units and a third gets none.
void verify_unit_blocks(const rnnc::TargetOptions& target) {
  const std::int64_t extent = 2 * panel_width(target);
  for (const std::string& path : shipped_cells()) {
    INFO(path << " extent " << extent << " cpu '" << target.cpu << "'");
    rnnc::Cell cell = rnnc::Cell::from_file(path, all_dimensions(path, extent), target);
    REQUIRE(cell.compiled().panel_width() * 2 == extent);
    for (auto [steps, batch] : {std::pair{3, 1}, std::pair{2, 5}}) {
      for (int threads : {1, 2, 3}) require_verified(cell, steps, batch, threads);
    }
  }
  for (std::uint32_t seed = 1; seed <= 20; ++seed) {
    rnnc::testing::RandomCell random = rnnc::testing::generate_random_cell(seed);
    INFO(random.text);
    rnnc::Cell cell({"random.cell", random.text}, {{"I", 3 + seed % 5}, {"H", extent}}, target);
    require_verified(cell, 1 + seed % 3, 1 + seed % 4, 1 + int(seed % 3));
  }
}

// Whether the host runs it or not, a level's kernels are built for it.
void check_level_assembly(const IsaLevel& level) {
  const std::string path = std::string(RNNC_SOURCE_DIR) + "/dsl/lstm.cell";
  auto file = rnnc::read_source_file(path);
  REQUIRE(file);
  rnnc::Graph graph = rnnc::testing::ir_of(*file, all_dimensions(path, 40));
  // The hook sees every stage from the IR on, in order, and prints only
  // the one it asks for.
  std::vector<rnnc::Stage> seen;
  std::string assembly;
  rnnc::AotOptions options{.target = level.target, .name = "lstm", .hook = {}, .cache = nullptr};
  options.hook = [&](rnnc::Stage stage, const std::function<std::string()>& text) {
    seen.push_back(stage);
    if (stage == rnnc::Stage::Asm) assembly = text();
    return false;
  };
  rnnc::PipelineInput input;
  input.ir = &graph;
  auto cell = rnnc::compile_ahead_of_time(input, options);
  INFO(level.name << ": " << (cell ? "" : cell.error().message));
  REQUIRE(cell);
  REQUIRE(*cell);
  CHECK((*cell)->layout.schedule.vector_width == level.vector_width);
  CHECK(seen == std::vector<rnnc::Stage>{rnnc::Stage::Ir, rnnc::Stage::Grad, rnnc::Stage::Llvm, rnnc::Stage::LlvmOpt,
                                         rnnc::Stage::Asm});
  const bool fma = assembly.find("vfmadd") != std::string::npos;
  const bool ymm = assembly.find("%ymm") != std::string::npos, zmm = assembly.find("%zmm") != std::string::npos;
  switch (level.vector_width) {
    case 4: CHECK((!fma && !ymm && !zmm && assembly.find("mulps") != std::string::npos)); break;
    case 8: CHECK((fma && ymm && !zmm)); break;
    default: CHECK((fma && zmm)); break;
  }
}

// Runs `verify` at the level when the host can (its assembly is checked
// for every level below).
template <class Verify>
void at_level(const std::string& name, Verify verify) {
  IsaLevel level = isa_level(name);
  if (level.host_runs) {
    verify(level);
  } else {
    WARN(name << " is compiled and its assembly checked, not run: this CPU lacks it");
  }
}

}  // namespace

TEST_CASE("instruction-set levels this run covers", "[jit][isa]") {
  // Printed on every run (ctest -V, or the test binary itself), so that a
  // report can say which levels it checked.
  std::cout << "instruction-set levels: " << rnnc::testing::isa_coverage() << std::endl;
  std::vector<IsaLevel> levels = rnnc::testing::isa_levels();
  REQUIRE(levels.size() == 3);
  CHECK(levels.front().host_runs);  // every x86-64 runs SSE2
  for (std::size_t i = 1; i < levels.size(); ++i) CHECK((levels[i - 1].host_runs || !levels[i].host_runs));
}

TEST_CASE("kernels for every instruction-set level use its registers whether or not they run here", "[jit][isa]") {
  for (const IsaLevel& level : rnnc::testing::isa_levels()) check_level_assembly(level);
}

TEST_CASE("JIT kernels equal the interpreter for every shipped cell: SSE2", "[jit][isa]") {
  at_level("SSE2", [](const IsaLevel& level) { verify_shipped_cells(level.target, level.vector_width); });
}

TEST_CASE("JIT kernels equal the interpreter for every shipped cell: AVX2+FMA", "[jit][isa]") {
  at_level("AVX2+FMA", [](const IsaLevel& level) { verify_shipped_cells(level.target, level.vector_width); });
}

TEST_CASE("JIT kernels equal the interpreter for every shipped cell: AVX-512", "[jit][isa]") {
  at_level("AVX-512", [](const IsaLevel& level) { verify_shipped_cells(level.target, level.vector_width); });
}

TEST_CASE("JIT kernels equal the interpreter for every shipped cell: host CPU", "[jit]") {
  verify_shipped_cells({}, 0);
}

TEST_CASE("JIT kernels equal the interpreter for random cells: SSE2", "[jit][random][isa]") {
  at_level("SSE2", [](const IsaLevel& level) { verify_random_cells(level.target); });
}

TEST_CASE("JIT kernels equal the interpreter for random cells: AVX2+FMA", "[jit][random][isa]") {
  at_level("AVX2+FMA", [](const IsaLevel& level) { verify_random_cells(level.target); });
}

TEST_CASE("JIT kernels equal the interpreter for random cells: AVX-512", "[jit][random][isa]") {
  at_level("AVX-512", [](const IsaLevel& level) { verify_random_cells(level.target); });
}

TEST_CASE("JIT kernels equal the interpreter for random cells: host CPU", "[jit][random]") {
  verify_random_cells({});
}

TEST_CASE("JIT kernels by blocks of hidden units equal the interpreter: SSE2", "[jit][isa]") {
  at_level("SSE2", [](const IsaLevel& level) { verify_unit_blocks(level.target); });
}

TEST_CASE("JIT kernels by blocks of hidden units equal the interpreter: AVX2+FMA", "[jit][isa]") {
  at_level("AVX2+FMA", [](const IsaLevel& level) { verify_unit_blocks(level.target); });
}

TEST_CASE("JIT kernels by blocks of hidden units equal the interpreter: AVX-512", "[jit][isa]") {
  at_level("AVX-512", [](const IsaLevel& level) { verify_unit_blocks(level.target); });
}

TEST_CASE("JIT kernels equal the interpreter where a one-element view of arithmetic is broadcast", "[jit]") {
  // (v c)[0:1] scales every element of h's update: a broadcast of
  // arithmetic that is otherwise read once (found by the random cells of
  // the clang build).
  rnnc::SourceFile file{"c.cell",
                        "cell c<I, H> {\n input x[I]\n state h[H]\n param W[H, I], U[H, H], c[H]\n"
                        " v = U @ h + c\n h' = tanh(W @ x + (v * c)[0:1] * h)\n output y = h'\n}\n"};
  for (std::int64_t extent : {std::int64_t(3), std::int64_t(64)}) {
    rnnc::Cell cell(file, {{"I", extent}, {"H", extent}});
    for (int threads : {1, 2}) require_verified(cell, 3, 5, threads);
  }
}

TEST_CASE("a Cell for a CPU whose features this one lacks is refused, not run", "[jit][isa]") {
  // xop (AMD Bulldozer only) is absent from every Zen and every Intel CPU.
  if (__builtin_cpu_supports("xop")) return;
  rnnc::SourceFile file{"c.cell", "cell c<H> {\n state h[H]\n h' = tanh(h)\n}\n"};
  CHECK_THROWS_WITH(rnnc::Cell(file, {{"H", 4}}, {"x86-64", "+xop"}), Catch::Contains("xop, which this CPU lacks"));
}

TEST_CASE("an unknown target CPU or feature is an error, not a crash", "[jit]") {
  rnnc::SourceFile file{"c.cell", "cell c<H> {\n state h[H]\n h' = tanh(h)\n}\n"};
  CHECK_THROWS_WITH(rnnc::Cell(file, {{"H", 4}}, {"no-such-cpu", ""}), Catch::Contains("no-such-cpu"));
  CHECK_THROWS_WITH(rnnc::Cell(file, {{"H", 4}}, {"x86-64", "+no-such-feature"}), Catch::Contains("no-such-feature"));
  CHECK_NOTHROW(rnnc::Cell(file, {{"H", 4}}, {"x86-64", "+sse4.1,-avx512f"}));
}
