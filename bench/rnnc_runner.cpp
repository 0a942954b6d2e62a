#include "rnnc_runner.h"

#include <cmath>

namespace rnnc::bench {

std::string cell_path(CellKind cell) { return std::string(RNNC_DSL_DIR "/") + std::string(cell_name(cell)) + ".cell"; }

RnncRunner::RnncRunner(Cell compiled, Pass pass, const Shape& shape) : cell_(std::move(compiled)), pass_(pass) {
  const Graph& graph = cell_.graph();
  const std::int64_t rows = shape.steps * shape.batch;
  RandomFill fill(42);
  const float scale = 1.0f / std::sqrt(float(shape.hidden));
  for (std::size_t p = 0; p < graph.params.size(); ++p) fill(cell_.parameter(p), scale);

  auto buffer = [&](std::int64_t size, float random_scale) -> std::vector<float>& {
    std::vector<float>& values = buffers_.emplace_back(std::size_t(size), 0.0f);
    if (random_scale > 0.0f) fill(values, random_scale);
    return values;
  };
  forward_.steps = shape.steps;
  forward_.batch = shape.batch;
  for (const Symbol& input : graph.inputs) forward_.inputs.emplace_back(buffer(rows * element_count(input.shape), 1.0f));
  for (const Symbol& state : graph.states) {
    const std::int64_t size = shape.batch * element_count(state.shape);
    forward_.initial_states.emplace_back(buffer(size, 1.0f));
    forward_.final_states.emplace_back(buffer(size, 0.0f));
    backward_.initial_state_adjoints.emplace_back(buffer(size, 0.0f));
  }
  for (const Output& output : graph.outputs) {
    const std::int64_t size = rows * element_count(graph.node(output.node).shape);
    forward_.outputs.emplace_back(buffer(size, 0.0f));
    backward_.output_adjoints.emplace_back(buffer(size, 1.0f));
  }
  for (const Symbol& input : graph.inputs)
    backward_.input_adjoints.emplace_back(buffer(rows * element_count(input.shape), 0.0f));
  // No final-state adjoints: zero, as for the peers.
}

void RnncRunner::run() {
  switch (pass_) {
    case Pass::ForwardInference: cell_.forward_inference(forward_); break;
    case Pass::ForwardTraining: cell_.forward_training(forward_); break;
    case Pass::ForwardBackward:
      cell_.forward_training(forward_);
      cell_.backward(backward_);
      break;
  }
}

}  // namespace rnnc::bench
