#include "rnnc/recurrent_layer.h"

#include <algorithm>
#include <numeric>

#include <fmt/format.h>

#include "rnnc/init.h"
#include "sequence_args.h"

namespace rnnc {

namespace {

std::int64_t floats_of(const Shape& shape) { return element_count(shape); }

// Copies steps [begin, end) of samples order[0..active) from a [T][B][width]
// buffer into a dense [end - begin][active][width] one.
void gather_rows(std::span<const float> from, std::int64_t batch, std::int64_t width,
                 const std::vector<std::int64_t>& order, std::int64_t begin, std::int64_t end, std::int64_t active,
                 std::vector<float>& to) {
  to.resize(std::size_t((end - begin) * active * width));
  for (std::int64_t t = begin; t < end; ++t) {
    for (std::int64_t j = 0; j < active; ++j) {
      std::copy_n(from.data() + (t * batch + order[j]) * width, width, to.data() + ((t - begin) * active + j) * width);
    }
  }
}

// The inverse of gather_rows.
void scatter_rows(std::span<const float> from, std::int64_t batch, std::int64_t width,
                  const std::vector<std::int64_t>& order, std::int64_t begin, std::int64_t end, std::int64_t active,
                  std::span<float> to) {
  for (std::int64_t t = begin; t < end; ++t) {
    for (std::int64_t j = 0; j < active; ++j) {
      std::copy_n(from.data() + ((t - begin) * active + j) * width, width, to.data() + (t * batch + order[j]) * width);
    }
  }
}

// Per state, [B][len] in sorted order, from `given` in sample order (or 0).
StateList gather_states(std::span<const std::vector<float>> given, std::int64_t batch,
                        const std::vector<std::int64_t>& sizes, const std::vector<std::int64_t>& order) {
  StateList sorted(sizes.size());
  for (std::size_t s = 0; s < sizes.size(); ++s) {
    if (given.empty() || given[s].empty()) {
      sorted[s].assign(std::size_t(batch * sizes[s]), 0.0f);
    } else {
      gather_rows(given[s], batch, sizes[s], order, 0, 1, batch, sorted[s]);
    }
  }
  return sorted;
}

StateList scatter_states(const StateList& sorted, std::int64_t batch, const std::vector<std::int64_t>& sizes,
                         const std::vector<std::int64_t>& order) {
  StateList states(sizes.size());
  for (std::size_t s = 0; s < sizes.size(); ++s) {
    states[s].resize(sorted[s].size());
    scatter_rows(sorted[s], batch, sizes[s], order, 0, 1, batch, states[s]);
  }
  return states;
}

}  // namespace

RecurrentLayer::RecurrentLayer(Cell cell) : cell_(std::move(cell)) {
  const Graph& graph = cell_.graph();
  if (graph.inputs.size() != 1 || graph.outputs.size() != 1 || graph.states.empty()) {
    throw RuntimeError(fmt::format("cell '{}' has {} inputs, {} outputs and {} states; a recurrent layer needs one input, "
                                   "one output and at least one state",
                                   graph.cell_name, graph.inputs.size(), graph.outputs.size(), graph.states.size()));
  }
  input_size_ = floats_of(graph.inputs[0].shape);
  output_size_ = floats_of(graph.node(graph.outputs[0].node).shape);
  for (const Symbol& state : graph.states) state_sizes_.push_back(floats_of(state.shape));
}

void RecurrentLayer::plan_spans(const SequenceArgs& args) {
  std::vector<std::int64_t> lengths = sample_lengths(args);
  order_.resize(std::size_t(args.batch));
  std::iota(order_.begin(), order_.end(), 0);
  std::stable_sort(order_.begin(), order_.end(), [&](std::int64_t a, std::int64_t b) { return lengths[a] > lengths[b]; });
  // With the first `active` samples running, the span ends where the
  // shortest of them stops; fewer samples run after it.
  std::size_t count = 0;
  std::int64_t begin = 0;
  for (std::int64_t active = args.batch; active > 0; --active) {
    std::int64_t end = lengths[order_[active - 1]];
    if (end <= begin) continue;
    if (spans_.size() <= count) spans_.emplace_back();
    TimeSpan& span = spans_[count++];
    span.begin = begin;
    span.end = end;
    span.active = active;
    begin = end;
  }
  spans_.resize(count);
}

std::span<const float> RecurrentLayer::forward(const SequenceArgs& args) {
  check_sequence_args(args, input_size_, state_sizes_);
  recorded_ = false;
  steps_ = args.steps;
  batch_ = args.batch;
  plan_spans(args);
  output_.assign(std::size_t(steps_ * batch_ * output_size_), 0.0f);
  StateList running = gather_states(args.initial_states, batch_, state_sizes_, order_);
  StateList span_final(state_sizes_.size());
  std::vector<float> span_output;
  for (TimeSpan& span : spans_) {
    const std::int64_t steps = span.end - span.begin, active = span.active;
    gather_rows(args.input, batch_, input_size_, order_, span.begin, span.end, active, span.input);
    span_output.resize(std::size_t(steps * active * output_size_));
    ForwardArgs call{steps, active, {span.input}, {}, {span_output}, {}};
    for (std::size_t s = 0; s < state_sizes_.size(); ++s) {
      span_final[s].resize(std::size_t(active * state_sizes_[s]));
      call.initial_states.push_back(std::span<const float>(running[s]).first(span_final[s].size()));
      call.final_states.push_back(span_final[s]);
    }
    if (args.training) {
      cell_.forward_training(call, span.tape);
    } else {
      cell_.forward_inference(call);
    }
    scatter_rows(span_output, batch_, output_size_, order_, span.begin, span.end, active, output_);
    for (std::size_t s = 0; s < state_sizes_.size(); ++s) std::copy(span_final[s].begin(), span_final[s].end(), running[s].begin());
  }
  final_states_ = scatter_states(running, batch_, state_sizes_, order_);
  recorded_ = args.training;
  return output_;
}

std::span<const float> RecurrentLayer::backward(std::span<const float> output_adjoint,
                                                std::span<const std::vector<float>> final_state_adjoints) {
  if (!recorded_) throw RuntimeError("backward() needs a training forward() first");
  check_optional_adjoint(output_adjoint, steps_ * batch_ * output_size_, "output adjoint");
  check_state_adjoints(final_state_adjoints, batch_, state_sizes_);
  input_adjoint_.assign(std::size_t(steps_ * batch_ * input_size_), 0.0f);
  // A sample's final-state adjoint waits in `running` until the backward
  // pass reaches the span where the sample stopped.
  StateList running = gather_states(final_state_adjoints, batch_, state_sizes_, order_);
  StateList span_initial(state_sizes_.size());
  std::vector<float> span_output_adjoint, span_input_adjoint;
  for (auto span = spans_.rbegin(); span != spans_.rend(); ++span) {
    const std::int64_t steps = span->end - span->begin, active = span->active;
    BackwardArgs call;
    if (!output_adjoint.empty()) {
      gather_rows(output_adjoint, batch_, output_size_, order_, span->begin, span->end, active, span_output_adjoint);
      call.output_adjoints.push_back(span_output_adjoint);
    }
    span_input_adjoint.resize(std::size_t(steps * active * input_size_));
    call.input_adjoints.push_back(span_input_adjoint);
    for (std::size_t s = 0; s < state_sizes_.size(); ++s) {
      span_initial[s].resize(std::size_t(active * state_sizes_[s]));
      call.final_state_adjoints.push_back(std::span<const float>(running[s]).first(span_initial[s].size()));
      call.initial_state_adjoints.push_back(span_initial[s]);
    }
    cell_.backward(span->tape, call);
    scatter_rows(span_input_adjoint, batch_, input_size_, order_, span->begin, span->end, active, input_adjoint_);
    for (std::size_t s = 0; s < state_sizes_.size(); ++s) {
      std::copy(span_initial[s].begin(), span_initial[s].end(), running[s].begin());
    }
  }
  initial_state_adjoints_ = scatter_states(running, batch_, state_sizes_, order_);
  return input_adjoint_;
}

std::vector<TrainableTensor> RecurrentLayer::parameters(const std::string& prefix) {
  std::vector<TrainableTensor> tensors;
  const std::vector<Symbol>& params = cell_.graph().params;
  for (std::size_t i = 0; i < params.size(); ++i) {
    tensors.push_back({prefix + params[i].name, cell_.parameter(i), cell_.gradient(i)});
  }
  return tensors;
}

void RecurrentLayer::initialize(WeightInit init, Rng& rng) {
  const std::vector<Symbol>& params = cell_.graph().params;
  for (std::size_t i = 0; i < params.size(); ++i) {
    std::span<float> values = cell_.parameter(i);
    const Shape& shape = params[i].shape;
    if (init == WeightInit::pytorch_default) {
      init_uniform(values, rnn_default_bound(output_size_), rng);
    } else if (shape.rank == 2) {
      init_xavier_uniform(values, shape.cols.constant_value(), shape.rows.constant_value(), rng);
    } else {
      std::fill(values.begin(), values.end(), 0.0f);
    }
  }
}

}  // namespace rnnc
