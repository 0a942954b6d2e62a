// libFuzzer target, differential: the bytes steer the random-cell
// generator (tests/support/random_cell.h) and pick a small shape; the JIT
// kernels of that cell must equal the reference interpreter (forward
// inference, forward training and every gradient, rnnc::verify_cell) within
// rnnc::kVerifyTolerance. A mismatch aborts with the cell and the shape, so
// that libFuzzer keeps the input as a crash.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

#include "rnnc/verify.h"
#include "support/random_cell.h"

namespace {

// The shape comes from the first bytes, the cell from the rest.
struct Shape {
  std::int64_t input, hidden, steps, batch;
  int threads;
};

Shape take_shape(std::span<const std::uint8_t>& bytes) {
  std::uint8_t head[5] = {};
  for (std::size_t i = 0; i < 5 && !bytes.empty(); ++i) {
    head[i] = bytes.front();
    bytes = bytes.subspan(1);
  }
  // I and H >= 3 (the generator slices h[2:H]); H up to 40 reaches more
  // than one GEMM panel on every vector width.
  return {3 + head[0] % 6, 3 + head[1] % 38, 1 + head[2] % 4, 1 + head[3] % 5, 1 + head[4] % 2};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> bytes(data, size);
  Shape shape = take_shape(bytes);
  rnnc::testing::RandomCell random = rnnc::testing::generate_cell_from_bytes(bytes);
  rnnc::Cell cell({"random.cell", random.text}, {{"I", shape.input}, {"H", shape.hidden}});
  cell.set_threads(shape.threads);
  for (const rnnc::VerifiedBuffer& buffer : rnnc::verify_cell(cell, shape.steps, shape.batch, 7)) {
    if (buffer.worst_error > rnnc::kVerifyTolerance) {
      std::fprintf(stderr, "%s\nI=%lld H=%lld T=%lld B=%lld threads %d: %s is off by %g\n", random.text.c_str(),
                   (long long)shape.input, (long long)shape.hidden, (long long)shape.steps, (long long)shape.batch,
                   shape.threads, buffer.name.c_str(), buffer.worst_error);
      std::abort();
    }
  }
  return 0;
}
