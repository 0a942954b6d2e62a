// The runtime API refuses bad use with an error the caller can handle.
#include <catch2/catch.hpp>

#include "rnnc/cell.h"

namespace {

rnnc::Cell small_cell() {
  return rnnc::Cell({"c.cell", "cell c<I, H> {\n input x[I]\n state h[H]\n param W[H, I], U[H, H]\n"
                               " h' = tanh(W @ x + U @ h)\n output y = h'\n}\n"},
                    {{"I", 2}, {"H", 3}});
}

struct Buffers {
  std::vector<float> x = std::vector<float>(4 * 2 * 2, 0.5f);  // T = 4, B = 2, I = 2
  std::vector<float> h0 = std::vector<float>(2 * 3, 0.1f);
  std::vector<float> y = std::vector<float>(4 * 2 * 3);
  std::vector<float> h = std::vector<float>(2 * 3);
  rnnc::ForwardArgs args() { return {4, 2, {x}, {h0}, {y}, {h}}; }
};

}  // namespace

TEST_CASE("a cell with errors is refused with its diagnostics", "[runtime]") {
  CHECK_THROWS_WITH(rnnc::Cell({"bad.cell", "cell c<H> {\n state h[H]\n h' = tanh(q)\n}\n"}, {{"H", 2}}),
                    Catch::Contains("bad.cell:3:12: error: unknown name 'q'"));
  CHECK_THROWS_WITH(rnnc::Cell({"c.cell", "cell c<H> {\n state h[H]\n h' = h\n}\n"}, {{"K", 2}}),
                    Catch::Contains("no dimension 'K'"));
  CHECK_THROWS_AS(rnnc::Cell({"bad.cell", "cell c<H> {\n state h[H]\n h' = tanh(q)\n}\n"}, {{"H", 2}}),
                  rnnc::CellError);
  // The error carries the diagnostics themselves: the unknown name's span.
  try {
    rnnc::Cell({"bad.cell", "cell c<H> {\n state h[H]\n h' = tanh(q)\n}\n"}, {{"H", 2}});
    FAIL("no error");
  } catch (const rnnc::CellError& error) {
    REQUIRE(error.diagnostics().size() == 1);
    CHECK(error.diagnostics()[0].severity == rnnc::Severity::Error);
    CHECK(error.diagnostics()[0].message.find("unknown name 'q'") != std::string::npos);
    CHECK(error.diagnostics()[0].span.begin == std::string("cell c<H> {\n state h[H]\n h' = tanh(").size());
  }
  // Not the cell's fault: a plain RuntimeError.
  const auto is_cell_error = [](auto make) {
    try {
      make();
    } catch (const rnnc::CellError&) {
      return true;
    } catch (const rnnc::RuntimeError&) {
      return false;
    }
    FAIL("no error");
    return false;
  };
  CHECK_FALSE(is_cell_error([] { rnnc::Cell::from_file("/no/such/file.cell", {}); }));
  CHECK_FALSE(is_cell_error([] {
    rnnc::Cell({"c.cell", "cell c<H> {\n state h[H]\n h' = h\n}\n"}, {{"H", 2}}, {"no-such-cpu", ""});
  }));
}

TEST_CASE("wrong buffer counts and sizes are refused before anything runs", "[runtime]") {
  rnnc::Cell cell = small_cell();
  Buffers buffers;
  rnnc::ForwardArgs args = buffers.args();
  CHECK_NOTHROW(cell.forward_inference(args));

  rnnc::ForwardArgs short_input = args;
  short_input.inputs[0] = std::span<const float>(buffers.x).first(3);
  CHECK_THROWS_WITH(cell.forward_inference(short_input), Catch::Contains("input buffer 0 has 3 floats, expected 16"));

  rnnc::ForwardArgs missing_state = args;
  missing_state.initial_states.clear();
  CHECK_THROWS_WITH(cell.forward_training(missing_state), Catch::Contains("expected 1 initial state buffer"));

  rnnc::ForwardArgs null_output = args;
  null_output.outputs[0] = std::span<float>(static_cast<float*>(nullptr), 24);
  CHECK_THROWS_WITH(cell.forward_inference(null_output), Catch::Contains("output buffer 0 is null"));

  rnnc::ForwardArgs negative = args;
  negative.steps = -1;
  CHECK_THROWS_AS(cell.forward_inference(negative), rnnc::RuntimeError);

  std::vector<float> wrong(5);
  CHECK_THROWS_AS(cell.borrow_parameter(0, wrong), rnnc::RuntimeError);
  CHECK_THROWS_AS(cell.parameter("nope"), rnnc::RuntimeError);
  CHECK_THROWS_AS(cell.parameter(7), rnnc::RuntimeError);
}

TEST_CASE("backward needs a training forward and matching buffers", "[runtime]") {
  rnnc::Cell cell = small_cell();
  Buffers buffers;
  std::vector<float> dx(buffers.x.size()), dh0(buffers.h0.size());
  rnnc::BackwardArgs backward{{}, {}, {dx}, {dh0}};
  CHECK_THROWS_WITH(cell.backward(backward), Catch::Contains("needs a forward_training() first"));
  cell.forward_inference(buffers.args());
  CHECK_THROWS_WITH(cell.backward(backward), Catch::Contains("needs a forward_training() first"));

  cell.forward_training(buffers.args());
  rnnc::BackwardArgs short_adjoint = backward;
  short_adjoint.input_adjoints[0] = std::span<float>(dx).first(2);
  CHECK_THROWS_WITH(cell.backward(short_adjoint), Catch::Contains("input adjoint buffer 0 has 2 floats"));
  CHECK_NOTHROW(cell.backward(backward));  // no loss adjoints: all gradients zero
  for (float value : dx) CHECK(value == 0.0f);
}

TEST_CASE("borrowed parameters are read in place once the cell is told they changed", "[runtime]") {
  rnnc::Cell cell = small_cell();
  Buffers buffers;
  std::vector<float> W(6, 0.0f);
  cell.borrow_parameter(0, W);
  cell.forward_inference(buffers.args());
  std::vector<float> before = buffers.y;
  W[0] = 1.0f;
  cell.parameters_changed();
  cell.forward_inference(buffers.args());
  CHECK(buffers.y != before);
  W[0] = 0.0f;
  cell.parameters_changed();
  cell.forward_inference(buffers.args());
  CHECK(buffers.y == before);
}

TEST_CASE("several tapes stay alive for their own backward passes", "[runtime]") {
  rnnc::Cell cell = small_cell();
  for (std::size_t p = 0; p < 2; ++p) {
    std::span<float> values = cell.parameter(p);
    for (std::size_t i = 0; i < values.size(); ++i) values[i] = 0.1f * float(i + 1) - 0.3f;
  }
  Buffers first, second;
  for (float& value : second.x) value = -0.25f;
  std::vector<float> dy(first.y.size(), 1.0f), dx(first.x.size()), dh0(first.h0.size());
  auto gradient_of = [&](Buffers& buffers) {
    cell.zero_gradients();
    cell.forward_training(buffers.args());
    cell.backward({{dy}, {}, {dx}, {dh0}});
    return std::vector<float>(cell.gradient(1).begin(), cell.gradient(1).end());
  };
  std::vector<float> expected_first = gradient_of(first), expected_second = gradient_of(second);

  rnnc::Tape tape_first, tape_second;
  CHECK_FALSE(tape_first.recorded());
  cell.forward_training(first.args(), tape_first);
  cell.forward_training(second.args(), tape_second);
  cell.zero_gradients();
  cell.backward(tape_first, {{dy}, {}, {dx}, {dh0}});
  CHECK(std::vector<float>(cell.gradient(1).begin(), cell.gradient(1).end()) == expected_first);
  cell.zero_gradients();
  cell.backward(tape_second, {{dy}, {}, {dx}, {dh0}});
  CHECK(std::vector<float>(cell.gradient(1).begin(), cell.gradient(1).end()) == expected_second);

  rnnc::Cell other({"d.cell", "cell d<H> {\n state h[H]\n h' = tanh(h)\n}\n"}, {{"H", 3}});
  CHECK_THROWS_WITH(other.backward(tape_first, {}), Catch::Contains("different cell"));
}

TEST_CASE("a thread count outside 1..kMaxThreads is refused", "[runtime]") {
  rnnc::Cell cell = small_cell();
  CHECK_THROWS_AS(cell.set_threads(0), rnnc::RuntimeError);
  CHECK_THROWS_AS(cell.set_threads(rnnc::Cell::kMaxThreads + 1), rnnc::RuntimeError);
  CHECK_NOTHROW(cell.set_threads(4));
}

TEST_CASE("the same cell, dimensions and target compile once per process", "[runtime]") {
  rnnc::Cell first = small_cell();
  rnnc::Cell second = small_cell();
  CHECK(&first.compiled() == &second.compiled());
  rnnc::Cell other_target({"c.cell", "cell c<I, H> {\n input x[I]\n state h[H]\n param W[H, I], U[H, H]\n"
                                     " h' = tanh(W @ x + U @ h)\n output y = h'\n}\n"},
                          {{"I", 2}, {"H", 3}}, {"x86-64", ""});
  CHECK(&first.compiled() != &other_target.compiled());
  // Parameters are per cell even when the kernels are shared.
  first.parameter(0)[0] = 1.0f;
  CHECK(second.parameter(0)[0] == 0.0f);
}
