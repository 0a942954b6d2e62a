#include "rnnc/cell.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <limits>
#include <map>
#include <mutex>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <ranges>

#include "rnnc/pipeline.h"

namespace rnnc {

struct Tape::Data {
  const CompiledCell* compiled = nullptr;  // the kernels that recorded it
  std::vector<float> workspace;
  std::int64_t steps = -1, batch = -1;
  std::vector<const float*> inputs;
};

Tape::Tape() : data_(std::make_unique<Data>()) {}
Tape::Tape(Tape&&) noexcept = default;
Tape& Tape::operator=(Tape&&) noexcept = default;
Tape::~Tape() = default;
bool Tape::recorded() const { return data_ && data_->steps >= 0; }

namespace {

// The buffers of one kernel call that ArgumentBinding's regions name; an
// adjoint not given is null and reads zeros.
struct CallRegions {
  std::vector<const float*> inputs, initial_states, output_adjoints, final_state_adjoints;
  std::vector<float*> outputs, final_states, input_adjoints, initial_state_adjoints;
  float* saved_rows = nullptr;  // the workspace's saved region
  float* state_rows = nullptr;  // and its state region
  std::int64_t batch = 0;
  float* zeros = nullptr;
};

// Where `binding` points in this call.
RowBuffer bind(const ArgumentBinding& binding, const CallRegions& regions) {
  using Region = ArgumentBinding::Region;
  const std::size_t i = std::size_t(binding.index);
  auto caller = [&](const auto& buffers) { return RowBuffer{const_cast<float*>(buffers[i]), binding.row_stride}; };
  auto given_or_zeros = [&](const std::vector<const float*>& buffers) {
    return buffers[i] ? caller(buffers) : RowBuffer{regions.zeros, 0};
  };
  switch (binding.region) {
    case Region::Input: return caller(regions.inputs);
    case Region::Output: return caller(regions.outputs);
    case Region::InputAdjoint: return caller(regions.input_adjoints);
    case Region::OutputAdjoint: return given_or_zeros(regions.output_adjoints);
    case Region::InitialState: return caller(regions.initial_states);
    case Region::FinalState: return caller(regions.final_states);
    case Region::FinalStateAdjoint: return given_or_zeros(regions.final_state_adjoints);
    case Region::InitialStateAdjoint: return caller(regions.initial_state_adjoints);
    case Region::Saved: return {regions.saved_rows + binding.offset, binding.row_stride};
    case Region::States:
      return {regions.state_rows + binding.step * regions.batch * binding.row_stride + binding.offset,
              binding.row_stride};
  }
  return {nullptr, 0};
}

// Null for an empty span (an adjoint not given), else its data.
template <class Span>
auto optional_pointers(const std::vector<Span>& buffers, std::size_t count) {
  std::vector<const float*> result(count, nullptr);
  for (std::size_t i = 0; i < buffers.size(); ++i) result[i] = buffers[i].empty() ? nullptr : buffers[i].data();
  return result;
}

}  // namespace

struct Cell::State {
  std::shared_ptr<const CompiledCell> compiled;
  std::vector<std::vector<float>> owned_parameters, gradients;
  std::vector<std::span<float>> parameters;  // owned or borrowed
  std::vector<float> scratch, zeros;
  Tape tape;  // of the last forward_training() without a tape of its own
  std::vector<float> packed_weights;
  bool weights_packed = false;  // packed_weights holds the current parameters
  int threads = 1;
  std::atomic<bool> busy = false;  // a call is running (see ExclusiveUse)

  // Packs the weights if they changed, then runs the kernel on the buffers
  // its arguments table binds in `regions`.
  void run(const Kernel& kernel, std::int64_t steps, std::int64_t batch, const CallRegions& regions,
           std::vector<float*> gradient_buffers);
};

namespace {

std::int64_t length_of(const Shape& shape) { return element_count(shape); }

void require(bool condition, const std::string& message) {
  if (!condition) throw RuntimeError(message);
}

template <class Span>
void require_buffers(const std::vector<Span>& buffers, std::size_t count, const std::vector<std::int64_t>& sizes,
                     const char* what, bool may_be_empty = false) {
  require(buffers.size() == count || (may_be_empty && buffers.empty()),
          fmt::format("expected {} {} buffer{}, got {}", count, what, count == 1 ? "" : "s", buffers.size()));
  for (std::size_t i = 0; i < buffers.size(); ++i) {
    if (may_be_empty && buffers[i].empty()) continue;
    require(buffers[i].data() != nullptr || sizes[i] == 0, fmt::format("{} buffer {} is null", what, i));
    require(std::int64_t(buffers[i].size()) == sizes[i],
            fmt::format("{} buffer {} has {} floats, expected {}", what, i, buffers[i].size(), sizes[i]));
  }
}

template <class Span>
std::vector<const float*> pointers(const std::vector<Span>& buffers) {
  std::vector<const float*> result;
  for (const auto& buffer : buffers) result.push_back(buffer.data());
  return result;
}

// Compiled kernels are shared by every Cell of the same text, dimensions and
// target in this process, so a cell compiles once. The map's lock is held
// only to find an entry; each entry has a lock of its own for its compile,
// so that cells of different keys compile in parallel and a second Cell of
// the same key waits for the first one's kernels instead of compiling again.
struct CacheEntry {
  std::mutex compiling;
  std::weak_ptr<const CompiledCell> compiled;
};

std::shared_ptr<const CompiledCell> compile_cached(const SourceFile& file, const Graph& graph,
                                                   const DimensionArgs& dimensions, const TargetOptions& target) {
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<CacheEntry>> cache;
  DimensionArgs sorted = dimensions;
  std::sort(sorted.begin(), sorted.end());
  std::string key = fmt::format("{}\n{}\n{}\n{}", target.cpu, target.features,
                                fmt::join(sorted | std::views::transform([](const auto& d) {
                                            return fmt::format("{}={}", d.first, d.second);
                                          }),
                                          ","),
                                file.text);
  std::shared_ptr<CacheEntry> entry;
  {
    std::lock_guard lock(mutex);
    std::shared_ptr<CacheEntry>& slot = cache[key];
    if (!slot) slot = std::make_shared<CacheEntry>();
    entry = slot;
  }
  std::lock_guard compiling(entry->compiling);
  if (auto cached = entry->compiled.lock()) return cached;
  Expected<std::unique_ptr<CompiledCell>> compiled = CompiledCell::compile(graph, target);
  if (!compiled && compiled.error().kind == CompileError::Kind::Cell) {
    throw CellError(fmt::format("{}: error: {}\n", file.name, compiled.error().message), {});  // as diagnostics read
  }
  require(bool(compiled), "cannot compile '" + file.name + "': " + (compiled ? "" : compiled.error().message));
  std::shared_ptr<const CompiledCell> shared = std::move(*compiled);
  entry->compiled = shared;
  return shared;
}

// Marks a Cell busy for one call; a second thread that calls into the same
// Cell meanwhile gets an error instead of racing on its scratch, tape and
// packed weights.
class ExclusiveUse {
 public:
  explicit ExclusiveUse(std::atomic<bool>& busy) : busy_(busy) {
    require(!busy_.exchange(true, std::memory_order_acquire),
            "a Cell was called from two threads at once; give each thread a Cell of its own");
  }
  ~ExclusiveUse() { busy_.store(false, std::memory_order_release); }
  ExclusiveUse(const ExclusiveUse&) = delete;
  ExclusiveUse& operator=(const ExclusiveUse&) = delete;

 private:
  std::atomic<bool>& busy_;
};

}  // namespace

Cell::Cell(const SourceFile& file, const DimensionArgs& dimensions, const TargetOptions& target)
    : state_(std::make_unique<State>()) {
  DiagnosticEngine diagnostics(file);
  std::optional<Graph> graph = build_ir(file, dimensions, diagnostics);
  if (!graph) {
    std::ostringstream printed;
    diagnostics.print(printed);
    throw CellError(printed.str(), diagnostics.diagnostics());
  }
  state_->compiled = compile_cached(file, *graph, dimensions, target);
  std::vector<std::string> missing = state_->compiled->missing_host_features();
  require(missing.empty(), fmt::format("cannot run '{}' here: its kernels use {}, which this CPU lacks", file.name,
                                       fmt::join(missing, ", ")));
  for (const Symbol& param : graph->params) {
    state_->owned_parameters.emplace_back(std::size_t(length_of(param.shape)), 0.0f);
    state_->gradients.emplace_back(std::size_t(length_of(param.shape)), 0.0f);
  }
  for (auto& buffer : state_->owned_parameters) state_->parameters.emplace_back(buffer);
}

Cell Cell::from_file(const std::string& path, const DimensionArgs& dimensions, const TargetOptions& target) {
  auto file = read_source_file(path);
  require(bool(file), file ? "" : file.error().message);
  return Cell(*file, dimensions, target);
}

Cell::Cell(Cell&&) noexcept = default;
Cell& Cell::operator=(Cell&&) noexcept = default;
Cell::~Cell() = default;

const Graph& Cell::graph() const { return state_->compiled->forward_graph(); }
const CompiledCell& Cell::compiled() const { return *state_->compiled; }

std::span<float> Cell::parameter(std::size_t index) {
  require(index < state_->parameters.size(), fmt::format("no parameter {}", index));
  parameters_changed();
  return state_->parameters[index];
}

std::span<float> Cell::parameter(const std::string& name) {
  int index = find_symbol(graph().params, name);
  require(index >= 0, fmt::format("cell '{}' has no parameter '{}'", graph().cell_name, name));
  parameters_changed();
  return state_->parameters[std::size_t(index)];
}

std::span<float> Cell::gradient(std::size_t index) {
  require(index < state_->gradients.size(), fmt::format("no parameter {}", index));
  return state_->gradients[index];
}

void Cell::borrow_parameter(std::size_t index, std::span<float> buffer) {
  require(index < state_->parameters.size(), fmt::format("no parameter {}", index));
  require(buffer.size() == state_->owned_parameters[index].size() && buffer.data() != nullptr,
          fmt::format("parameter {} needs a buffer of {} floats", graph().params[index].name,
                      state_->owned_parameters[index].size()));
  state_->parameters[index] = buffer;
  parameters_changed();
}

void Cell::parameters_changed() {
  ExclusiveUse use(state_->busy);
  state_->weights_packed = false;
}

void Cell::zero_gradients() {
  ExclusiveUse use(state_->busy);
  for (auto& gradient : state_->gradients) std::fill(gradient.begin(), gradient.end(), 0.0f);
}


namespace {

// Checks a forward call; the regions of its caller's buffers.
CallRegions forward_regions(const CompiledCell& compiled, const ForwardArgs& args) {
  const Graph& graph = compiled.forward_graph();
  require(args.steps >= 0 && args.batch >= 0, "steps and batch must not be negative");
  require(args.steps <= kMaxExtent && args.batch <= kMaxExtent, "steps or batch too large");
  // Every buffer size below, and the kernels' own, then fits in 64 bits
  // (as the C header checks it).
  require((args.steps + 1) * args.batch <= INT64_MAX / 4 / compiled.widest_row_floats(),
          fmt::format("steps {} and batch {} are too large for cell '{}'", args.steps, args.batch, graph.cell_name));
  std::int64_t rows = args.steps * args.batch;
  std::vector<std::int64_t> input_sizes, state_sizes, output_sizes;
  for (const Symbol& input : graph.inputs) input_sizes.push_back(rows * length_of(input.shape));
  for (const Symbol& state : graph.states) state_sizes.push_back(args.batch * length_of(state.shape));
  for (const Output& output : graph.outputs) output_sizes.push_back(rows * length_of(graph.node(output.node).shape));
  require_buffers(args.inputs, graph.inputs.size(), input_sizes, "input");
  require_buffers(args.initial_states, graph.states.size(), state_sizes, "initial state");
  require_buffers(args.outputs, graph.outputs.size(), output_sizes, "output");
  require_buffers(args.final_states, graph.states.size(), state_sizes, "final state");
  CallRegions regions;
  regions.inputs = pointers(args.inputs);
  regions.initial_states = pointers(args.initial_states);
  for (const auto& output : args.outputs) regions.outputs.push_back(output.data());
  for (const auto& state : args.final_states) regions.final_states.push_back(state.data());
  regions.batch = args.batch;
  return regions;
}

}  // namespace

void Cell::State::run(const Kernel& kernel, std::int64_t steps, std::int64_t batch, const CallRegions& regions,
                      std::vector<float*> gradient_buffers) {
  std::vector<float*> params;
  for (auto& param : parameters) params.push_back(param.data());
  if (!weights_packed) {
    packed_weights.resize(std::size_t(compiled->packed_weight_floats()));
    compiled->pack_weights()(params.data(), packed_weights.data());
    weights_packed = true;
  }
  std::vector<RowBuffer> sources, sinks;
  std::vector<const float*> initial_states;
  std::vector<float*> final_states;
  for (const ArgumentBinding& binding : kernel.arguments.sources) sources.push_back(bind(binding, regions));
  for (const ArgumentBinding& binding : kernel.arguments.initial_states) {
    initial_states.push_back(bind(binding, regions).data);
  }
  for (const ArgumentBinding& binding : kernel.arguments.final_states) {
    final_states.push_back(bind(binding, regions).data);
  }
  for (const ArgumentBinding& binding : kernel.arguments.sinks) sinks.push_back(bind(binding, regions));
  // The scratch only grows: shrinking it for a forward call and growing it
  // for the backward one cleared the difference on every training step (9 %
  // of a layernorm_lstm forward+backward). Grown floats are NaN, so that a
  // kernel reading scratch it has not written fails the tests.
  auto needed = std::size_t(kernel.plan.scratch_floats(steps, batch));
  if (scratch.size() < needed) scratch.assign(needed, std::numeric_limits<float>::quiet_NaN());
  kernel.function(steps, batch, sources.data(), initial_states.data(), final_states.data(), sinks.data(),
                  params.data(), gradient_buffers.data(), packed_weights.data(), scratch.data(), threads);
}

void Cell::set_threads(int threads) {
  require(threads >= 1 && threads <= kMaxThreads, fmt::format("threads must be between 1 and {}", kMaxThreads));
  ExclusiveUse use(state_->busy);
  state_->threads = threads;
}

void Cell::forward_inference(const ForwardArgs& args) {
  ExclusiveUse use(state_->busy);
  state_->run(compiled().forward_inference(), args.steps, args.batch, forward_regions(compiled(), args), {});
}

void Cell::forward_training(const ForwardArgs& args) { forward_training(args, state_->tape); }

void Cell::forward_training(const ForwardArgs& args, Tape& tape) {
  ExclusiveUse use(state_->busy);
  require(tape.data_ != nullptr, "forward_training() on a moved-from tape");
  Tape::Data& recording = *tape.data_;
  recording.steps = -1;  // until the kernel has run
  const Graph& forward = graph();
  const WorkspaceLayout& layout = compiled().workspace();
  CallRegions regions = forward_regions(compiled(), args);
  // Every float of it is written below or by the kernel: no need to clear it.
  recording.workspace.resize(std::size_t(layout.floats(args.steps, args.batch)));
  regions.saved_rows = recording.workspace.data();
  regions.state_rows = regions.saved_rows + args.steps * args.batch * layout.saved_floats;
  // Row 0 of the state region holds the initial states; the kernel writes
  // the states after each step into rows 1..T.
  for (std::size_t s = 0; s < forward.states.size(); ++s) {
    std::int64_t length = length_of(forward.states[s].shape);
    for (std::int64_t b = 0; b < args.batch; ++b) {
      std::copy_n(args.initial_states[s].data() + b * length, length,
                  regions.state_rows + b * layout.state_floats + layout.state_offsets[s]);
    }
  }
  state_->run(compiled().forward_training(), args.steps, args.batch, regions, {});
  recording.compiled = state_->compiled.get();
  recording.steps = args.steps;
  recording.batch = args.batch;
  recording.inputs = pointers(args.inputs);
}

void Cell::backward(const BackwardArgs& args) { backward(state_->tape, args); }

void Cell::backward(const Tape& tape, const BackwardArgs& args) {
  ExclusiveUse use(state_->busy);
  require(tape.recorded(), "backward() needs a forward_training() first");
  const Tape::Data& recording = *tape.data_;
  require(recording.compiled == state_->compiled.get(), "backward() with a tape recorded by a different cell");
  const Graph& forward = graph();
  const BackwardStep& step = compiled().backward_step();
  const WorkspaceLayout& layout = compiled().workspace();
  const std::int64_t steps = recording.steps, batch = recording.batch, rows = steps * batch;

  std::vector<std::int64_t> output_sizes, state_sizes, input_sizes;
  for (const Output& output : forward.outputs) output_sizes.push_back(rows * length_of(forward.node(output.node).shape));
  for (const Symbol& state : forward.states) state_sizes.push_back(batch * length_of(state.shape));
  for (const Symbol& input : forward.inputs) input_sizes.push_back(rows * length_of(input.shape));
  require_buffers(args.output_adjoints, forward.outputs.size(), output_sizes, "output adjoint", true);
  require_buffers(args.final_state_adjoints, forward.states.size(), state_sizes, "final state adjoint", true);
  require_buffers(args.input_adjoints, forward.inputs.size(), input_sizes, "input adjoint");
  require_buffers(args.initial_state_adjoints, forward.states.size(), state_sizes, "initial state adjoint");

  std::int64_t widest = 1;
  for (const Symbol& input : step.graph.inputs) widest = std::max(widest, length_of(input.shape));
  for (std::int64_t size : state_sizes) widest = std::max(widest, size);
  state_->zeros.assign(std::size_t(widest), 0.0f);

  CallRegions regions;
  regions.inputs = recording.inputs;
  regions.output_adjoints = optional_pointers(args.output_adjoints, forward.outputs.size());
  regions.final_state_adjoints = optional_pointers(args.final_state_adjoints, forward.states.size());
  for (const auto& adjoint : args.input_adjoints) regions.input_adjoints.push_back(adjoint.data());
  for (const auto& adjoint : args.initial_state_adjoints) regions.initial_state_adjoints.push_back(adjoint.data());
  regions.saved_rows = const_cast<float*>(recording.workspace.data());
  regions.state_rows = regions.saved_rows + rows * layout.saved_floats;
  regions.batch = batch;
  regions.zeros = state_->zeros.data();
  std::vector<float*> gradients;
  for (auto& gradient : state_->gradients) gradients.push_back(gradient.data());
  state_->run(compiled().backward(), steps, batch, regions, std::move(gradients));
}

}  // namespace rnnc
