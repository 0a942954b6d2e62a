// JIT kernels (forward inference, forward training, backward) against the
// reference interpreter, for every shipped cell and for random cells, on
// the host CPU and on plain x86-64, across shapes that hit tail cases.
#include <catch2/catch.hpp>

#include <filesystem>

#include "rnnc/verify.h"
#include "support/cells.h"
#include "support/random_cell.h"

using rnnc::testing::all_dimensions;
using rnnc::testing::shipped_cells;

namespace {

void require_verified(rnnc::Cell& cell, std::int64_t steps, std::int64_t batch, int threads) {
  cell.set_threads(threads);
  for (const rnnc::VerifiedBuffer& buffer : rnnc::verify_cell(cell, steps, batch, 3)) {
    INFO(cell.graph().cell_name << " T=" << steps << " B=" << batch << " threads " << threads << ": " << buffer.name);
    CHECK(buffer.worst_error <= rnnc::kVerifyTolerance);
  }
}

}  // namespace

// Every extent in {1, 3, 7, 17, 33, 64} (tails of every vector width) is
// used, each cell taking 1, 17 and one of the others in turn; plain x86-64
// (SSE2 only) gets one extent per cell. Every shape runs on 1 and on 2
// threads (2 threads split every product's columns and every pointwise
// loop's samples, so B = 1 leaves the second thread idle there).
TEST_CASE("JIT kernels equal the interpreter for every shipped cell", "[jit]") {
  const std::int64_t rotating[] = {3, 7, 33, 64};
  std::vector<std::string> paths = shipped_cells();
  for (std::size_t c = 0; c < paths.size(); ++c) {
    std::vector<std::pair<std::int64_t, std::string>> variants = {
        {1, ""}, {17, ""}, {rotating[c % 4], ""}, {7, "x86-64"}};
    for (const auto& [extent, cpu] : variants) {
      INFO(paths[c] << " extent " << extent << " cpu '" << cpu << "'");
      rnnc::Cell cell = rnnc::Cell::from_file(paths[c], all_dimensions(paths[c], extent), {cpu, ""});
      for (auto [steps, batch] : {std::pair{1, 1}, std::pair{2, 2}, std::pair{2, 3}, std::pair{7, 5}, std::pair{2, 16}}) {
        for (int threads : {1, 2}) require_verified(cell, steps, batch, threads);
      }
    }
  }
}

// A step whose values are elementwise over blocks of hidden units runs
// block by block, each thread taking whole GEMM panels of units
// (SequencePlan::step_unit). Extents that are two panels wide (32 on the
// host's 16-wide panels, 16 on plain x86-64's 8-wide ones), so that two
// threads split the units and a third gets none.
TEST_CASE("JIT kernels by blocks of hidden units equal the interpreter", "[jit]") {
  for (const std::string& path : shipped_cells()) {
    for (const auto& [extent, cpu] : {std::pair<std::int64_t, std::string>{32, ""}, {16, "x86-64"}}) {
      INFO(path << " extent " << extent << " cpu '" << cpu << "'");
      rnnc::Cell cell = rnnc::Cell::from_file(path, all_dimensions(path, extent), {cpu, ""});
      for (auto [steps, batch] : {std::pair{3, 1}, std::pair{2, 5}}) {
        for (int threads : {1, 2, 3}) require_verified(cell, steps, batch, threads);
      }
    }
  }
  for (std::uint32_t seed = 1; seed <= 40; ++seed) {
    rnnc::testing::RandomCell random = rnnc::testing::generate_random_cell(seed);
    INFO(random.text);
    rnnc::Cell cell({"random.cell", random.text}, {{"I", 3 + seed % 5}, {"H", 16}}, {"x86-64", ""});
    require_verified(cell, 1 + seed % 3, 1 + seed % 4, 1 + int(seed % 3));
  }
}

TEST_CASE("JIT kernels equal the interpreter for random cells", "[jit][random]") {
  for (std::uint32_t seed = 1; seed <= 60; ++seed) {
    rnnc::testing::RandomCell random = rnnc::testing::generate_random_cell(seed);
    INFO(random.text);
    rnnc::Cell cell({"random.cell", random.text}, {{"I", 3 + seed % 5}, {"H", 3 + seed % 7}});
    require_verified(cell, 1 + seed % 3, 1 + seed % 4, 1 + int(seed % 3));
  }
}

TEST_CASE("an unknown target CPU or feature is an error, not a crash", "[jit]") {
  rnnc::SourceFile file{"c.cell", "cell c<H> {\n state h[H]\n h' = tanh(h)\n}\n"};
  CHECK_THROWS_WITH(rnnc::Cell(file, {{"H", 4}}, {"no-such-cpu", ""}), Catch::Contains("no-such-cpu"));
  CHECK_THROWS_WITH(rnnc::Cell(file, {{"H", 4}}, {"x86-64", "+no-such-feature"}), Catch::Contains("no-such-feature"));
  CHECK_NOTHROW(rnnc::Cell(file, {{"H", 4}}, {"x86-64", "+avx2,-avx512f"}));
}
