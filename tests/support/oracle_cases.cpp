#include "support/oracle_cases.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <utility>

#include "rnnc/frontend.h"
#include "rnnc/pipeline.h"

namespace rnnc::testing {

const std::vector<RnnSizes>& oracle_shapes() {
  static const std::vector<RnnSizes> shapes = {
      {.steps = 5, .batch = 3, .input = 7, .hidden = 9},
      {.steps = 1, .batch = 1, .input = 7, .hidden = 9},
      {.steps = 4, .batch = 2, .input = 13, .hidden = 5},
      {.steps = 12, .batch = 4, .input = 3, .hidden = 6},
  };
  return shapes;
}

const std::vector<RnnSizes>& oracle_projection_shapes() {
  static const std::vector<RnnSizes> shapes = {
      {.steps = 5, .batch = 3, .input = 7, .hidden = 9, .projection = 4},
      {.steps = 1, .batch = 1, .input = 7, .hidden = 9, .projection = 5},
      {.steps = 4, .batch = 2, .input = 13, .hidden = 5, .projection = 3},
      {.steps = 6, .batch = 3, .input = 6, .hidden = 4, .projection = 7},
  };
  return shapes;
}

std::string describe(const RnnSizes& sizes) {
  std::ostringstream text;
  text << "T=" << sizes.steps << " B=" << sizes.batch << " I=" << sizes.input << " H=" << sizes.hidden;
  if (sizes.projection > 0) text << " P=" << sizes.projection;
  return text.str();
}

rnnc::Graph load_cell(const std::string& file_name, const RnnSizes& sizes) {
  auto source = rnnc::read_source_file(std::string(RNNC_SOURCE_DIR) + "/dsl/" + file_name);
  REQUIRE(source);
  rnnc::DimensionArgs dimensions = {{"I", sizes.input}, {"H", sizes.hidden}};
  if (sizes.projection > 0) dimensions.emplace_back("P", sizes.projection);
  rnnc::DiagnosticEngine diagnostics(*source);
  auto graph = rnnc::build_ir(*source, dimensions, diagnostics);
  std::ostringstream messages;
  diagnostics.print(messages);
  INFO(messages.str());
  REQUIRE(graph);
  return std::move(*graph);
}

float max_abs(std::span<const float> values) {
  float largest = 0;
  for (float value : values) largest = std::max(largest, std::abs(value));
  return largest;
}

double relative_error(std::span<const float> actual, std::span<const float> expected) {
  double largest_difference = 0;
  for (std::size_t i = 0; i < expected.size(); ++i)
    largest_difference = std::max(largest_difference, std::abs(double(actual[i]) - double(expected[i])));
  return largest_difference / max_abs(expected);
}

void check_steps(const std::vector<float>& actual, const std::vector<float>& expected, int steps,
                 const Agreement& agreement) {
  REQUIRE(actual.size() == expected.size());
  const std::size_t step_size = expected.size() / static_cast<std::size_t>(steps);
  for (std::size_t step = 0; step < static_cast<std::size_t>(steps); ++step) {
    INFO("step " << step);
    std::span<const float> expected_step = std::span(expected).subspan(step * step_size, step_size);
    std::span<const float> actual_step = std::span(actual).subspan(step * step_size, step_size);
    REQUIRE(max_abs(expected_step) > agreement.least_magnitude);
    CHECK(relative_error(actual_step, expected_step) <= agreement.tolerance);
  }
}

OracleProblem::OracleProblem(OnednnCell cell, const RnnSizes& sizes, std::uint32_t seed)
    : random(seed), problem{.cell = cell, .sizes = sizes} {
  args.steps = sizes.steps;
  args.batch = sizes.batch;
}

void OracleProblem::draw_input(const rnnc::Graph& graph) {
  problem.x = random.uniform(rnnc::input_size(graph, 0, args.steps, args.batch));
  args.inputs = {problem.x};
}

void OracleProblem::draw_initial_state(const rnnc::Graph& graph, std::size_t state) {
  args.initial_states.push_back(random.uniform(rnnc::state_size(graph, state, args.batch)));
  problem.initial_states[graph.states[state].name] = args.initial_states.back();
}

void OracleProblem::draw_params(const rnnc::Graph& graph) {
  const float weight_scale = 1.0f / std::sqrt(static_cast<float>(problem.sizes.hidden));
  for (std::size_t p = 0; p < graph.params.size(); ++p) {
    args.params.push_back(random.uniform(rnnc::param_size(graph, p), weight_scale));
    problem.params[graph.params[p].name] = args.params.back();
  }
}

}  // namespace rnnc::testing
