// What the oneDNN oracle tests (test_onednn_forward.cpp and
// test_onednn_backward.cpp) share: the shapes every cell runs at, the cells
// of dsl/ built at those shapes, random problems that give the interpreter
// and oneDNN the same data, and the comparison of a result with oneDNN's.
// Unlike onednn_rnn.h, these helpers assert with Catch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "rnnc/interpreter.h"
#include "rnnc/ir.h"
#include "support/onednn_rnn.h"
#include "support/random_data.h"

namespace rnnc::testing {

// Odd extents so that a transposed matrix or a swapped stride cannot go
// unnoticed; I differs from H both ways; a single step of a single sample;
// and a longer sequence.
const std::vector<RnnSizes>& oracle_shapes();

// The same with a projection width P != H, smaller and larger.
const std::vector<RnnSizes>& oracle_projection_shapes();

// "T=5 B=3 I=7 H=9", with " P=4" where there is a projection.
std::string describe(const RnnSizes& sizes);

// dsl/`file_name` with its dimensions bound to `sizes`; REQUIRE fails, with
// the diagnostics, when it cannot be built.
rnnc::Graph load_cell(const std::string& file_name, const RnnSizes& sizes);

float max_abs(std::span<const float> values);

// max |actual - expected| / max |expected|: normalizing by the largest
// magnitude instead of element by element keeps elements near zero, where
// rounding dominates, from failing a correct result, and stays scale-free.
// The callers require max |expected| to be well away from zero.
double relative_error(std::span<const float> actual, std::span<const float> expected);

// How closely a result must match oneDNN's.
struct Agreement {
  double tolerance = 0;       // the largest relative_error accepted
  float least_magnitude = 0;  // max |expected| of each step must exceed it
};

// Checks a [steps][...] sequence (steps = 1 for a tensor without steps) step
// by step, so that a failure names the first step that goes wrong. Requiring
// a least magnitude guards against a vacuous pass on all-zero results.
void check_steps(const std::vector<float>& actual, const std::vector<float>& expected, int steps,
                 const Agreement& agreement);

// One random problem, given both to the interpreter (`args`) and to oneDNN
// (`problem`): the same values, as the layouts agree. Values are drawn from
// `random` in the order of the calls, so a seed and a sequence of calls name
// the data; inputs and states are in [-1, 1], parameters at PyTorch's
// initialization scale 1 / sqrt(H).
struct OracleProblem {
  OracleProblem(OnednnCell cell, const RnnSizes& sizes, std::uint32_t seed);

  // x, the cell's only input.
  void draw_input(const rnnc::Graph& graph);
  // The initial value of state `state`; call it for the states in order.
  void draw_initial_state(const rnnc::Graph& graph, std::size_t state);
  // Every parameter.
  void draw_params(const rnnc::Graph& graph);

  RandomData random;
  rnnc::InterpreterArgs<float> args{};
  RnnProblem problem{};
};

}  // namespace rnnc::testing
