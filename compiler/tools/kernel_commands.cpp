// rnnc verify, rnnc bench: the JIT kernels against the interpreter, and
// their speed.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <random>

#include <fmt/format.h>

#include "cli_support.h"
#include "rnnc/kernel_cache.h"
#include "rnnc/pipeline.h"
#include "rnnc/verify.h"

namespace rnnc::cli {

namespace {

struct KernelOptions {
  CellArgs cell;
  std::int64_t steps = 7;
  std::int64_t batch = 3;
  std::uint32_t seed = 1;
  int threads = 1;
  TargetOptions target;
};

void add_kernel_options(CLI::App& command, KernelOptions& options, bool with_seed) {
  add_cell_args(command, options.cell, true);
  command.add_option("--steps", options.steps, "sequence length T")->check(CLI::Range(std::int64_t(1), kMaxExtent));
  command.add_option("--batch", options.batch, "batch size B")->check(CLI::Range(std::int64_t(1), kMaxExtent));
  command.add_option("--threads", options.threads, "threads per sequence")->check(CLI::Range(1, Cell::kMaxThreads));
  add_no_cache_flag(command);
  add_target_args(command, options.target);
  if (with_seed) command.add_option("--seed", options.seed, "random seed");
}

// Compiles the cell; a cell error or an unknown target becomes a usage error.
std::optional<Cell> compile(const KernelOptions& options) {
  DimensionArgs dimensions = parse_dimension_args(options.cell.dimensions);
  SourceFile file = load_source(options.cell.path);
  try {
    Cell cell(file, dimensions, options.target);
    cell.set_threads(options.threads);
    return cell;
  } catch (const CellError& error) {
    std::cerr << error.what();
    return std::nullopt;
  } catch (const RuntimeError& error) {
    throw UsageError{error.what()};
  }
}

// A fresh kernel cache directory for the process (RNNC_CACHE_DIR), removed
// at the end; nothing when the cache is off.
class BenchCache {
 public:
  BenchCache() {
    if (KernelCache::turned_off()) return;
    std::filesystem::path pattern = std::filesystem::temp_directory_path() / "rnnc-bench-cache-XXXXXX";
    std::string directory = pattern.string();
    if (!::mkdtemp(directory.data())) return;
    directory_ = directory;
    ::setenv("RNNC_CACHE_DIR", directory_.c_str(), 1);
  }
  ~BenchCache() {
    std::error_code error;
    if (!directory_.empty()) std::filesystem::remove_all(directory_, error);
  }
  BenchCache(const BenchCache&) = delete;
  BenchCache& operator=(const BenchCache&) = delete;
  bool enabled() const { return !directory_.empty(); }

 private:
  std::string directory_;
};

double median_ms(std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  return samples[samples.size() / 2];
}

// The milliseconds one run of `work` takes.
template <class Work>
double milliseconds(Work&& work) {
  auto before = std::chrono::steady_clock::now();
  work();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - before).count();
}

// Runs `pass` at least 3 times and for about half a second; the median.
template <class Pass>
double time_pass(Pass&& pass) {
  using Clock = std::chrono::steady_clock;
  pass();  // warm-up
  std::vector<double> samples;
  Clock::time_point start = Clock::now();
  while (samples.size() < 3 || (Clock::now() - start < std::chrono::milliseconds(500) && samples.size() < 100)) {
    samples.push_back(milliseconds(pass));
  }
  return median_ms(samples);
}

// GEMM FLOPs of one forward step of one sample, as oneDNN's benchdnn counts
// them: 2·rows·cols per matrix-vector product.
double forward_flops_per_row(const Graph& graph) {
  double flops = 0;
  for (const Node& node : graph.nodes) {
    if (node.op != Op::MatVec) continue;
    const Shape& matrix = graph.params[std::size_t(node.symbol)].shape;
    flops += 2.0 * double(matrix.rows.constant_value()) * double(matrix.cols.constant_value());
  }
  return flops;
}

}  // namespace

Command add_verify_command(CLI::App& app) {
  auto options = std::make_shared<KernelOptions>();
  CLI::App* command = app.add_subcommand(
      "verify", fmt::format("Run the JIT kernels (forward inference, forward training, backward) and the reference "
                            "interpreter on the same random data; exit 0 only when every output, final state and "
                            "gradient is within relative error {:g}.",
                            kVerifyTolerance));
  add_kernel_options(*command, *options, true);
  return {command, [options] {
            std::optional<Cell> cell = compile(*options);
            if (!cell) return kExitFailure;
            bool ok = true;
            for (const VerifiedBuffer& buffer : verify_cell(*cell, options->steps, options->batch, options->seed)) {
              bool passed = buffer.worst_error <= kVerifyTolerance;
              ok = ok && passed;
              std::cout << fmt::format("{:<36} {:>12.3e}{}\n", buffer.name, buffer.worst_error, passed ? "" : "  FAIL");
            }
            std::cout << (ok ? "verify passed" : "verify FAILED")
                      << fmt::format(" (tolerance {:g}, T={}, B={}, seed {}, {} thread{})\n", kVerifyTolerance,
                                     options->steps, options->batch, options->seed, options->threads,
                                     options->threads == 1 ? "" : "s");
            return ok ? 0 : kExitFailure;
          }};
}

Command add_bench_command(CLI::App& app) {
  auto options = std::make_shared<KernelOptions>();
  CLI::App* command = app.add_subcommand(
      "bench", "Time JIT compilation, then fwd-infer, fwd-train and fwd+bwd: median milliseconds and GFLOP/s "
               "(GEMM FLOPs counted as oneDNN's benchdnn counts them).");
  add_kernel_options(*command, *options, false);
  options->steps = 50;
  options->batch = 16;
  return {command, [options] {
            // Its own empty kernel cache, so that "cold" is cold and
            // "cached" reads what this run stored.
            BenchCache bench_cache;
            std::optional<Cell> cell;
            const double compile_ms = milliseconds([&] { cell = compile(*options); });
            if (!cell) return kExitFailure;
            const Graph& graph = cell->graph();
            const std::int64_t T = options->steps, B = options->batch;

            std::mt19937 generator(1);
            std::uniform_real_distribution<float> uniform(-0.1f, 0.1f);
            auto buffer = [&](std::int64_t size) {
              std::vector<float> values(static_cast<std::size_t>(size));
              for (float& value : values) value = uniform(generator);
              return values;
            };
            std::vector<std::vector<float>> inputs, states, outputs, finals, d_inputs, d_states;
            for (const Symbol& input : graph.inputs) {
              inputs.push_back(buffer(T * B * element_count(input.shape)));
              d_inputs.push_back(buffer(T * B * element_count(input.shape)));
            }
            for (const Symbol& state : graph.states) {
              states.push_back(buffer(B * element_count(state.shape)));
              finals.push_back(buffer(B * element_count(state.shape)));
              d_states.push_back(buffer(B * element_count(state.shape)));
            }
            for (const Output& output : graph.outputs) outputs.push_back(buffer(T * B * element_count(graph.node(output.node).shape)));
            for (std::size_t p = 0; p < graph.params.size(); ++p) {
              std::vector<float> values = buffer(std::int64_t(cell->parameter(p).size()));
              std::copy(values.begin(), values.end(), cell->parameter(p).begin());
            }
            ForwardArgs args{T, B, {}, {}, {}, {}};
            for (auto& v : inputs) args.inputs.emplace_back(v);
            for (auto& v : states) args.initial_states.emplace_back(v);
            for (auto& v : outputs) args.outputs.emplace_back(v);
            for (auto& v : finals) args.final_states.emplace_back(v);
            BackwardArgs backward;
            for (auto& v : outputs) backward.output_adjoints.emplace_back(v);
            for (auto& v : d_inputs) backward.input_adjoints.emplace_back(v);
            for (auto& v : d_states) backward.initial_state_adjoints.emplace_back(v);

            double forward_gflop = forward_flops_per_row(graph) * double(T * B) * 1e-9;
            std::cout << fmt::format("{} T={} B={}, {} thread{}\n", graph.cell_name, T, B, options->threads,
                                     options->threads == 1 ? "" : "s");
            // Cold: the Cell constructor (forward inference ready). First-forward:
            // that and the first forward inference (packing the weights
            // included), not the making of the random data between them.
            // All-kernels: cold and the training kernels, which compile on
            // first use (rnnc/jit.h).
            const double first_forward_ms = compile_ms + milliseconds([&] { cell->forward_inference(args); });
            const double all_kernels_ms = compile_ms + milliseconds([&] {
                                            cell->compiled().forward_training();
                                            cell->compiled().backward();
                                          });
            std::cout << fmt::format("compile cold {:.1f} ms\n", compile_ms);
            std::cout << fmt::format("compile first-forward {:.1f} ms\n", first_forward_ms);
            std::cout << fmt::format("compile all-kernels {:.1f} ms\n", all_kernels_ms);
            // Cached: the same cell's kernels again, from the front end to
            // all four callable, every one from the cache's files, as a
            // second process gets them. (Cell's constructor would share the
            // first cell's kernels in memory instead.)
            if (bench_cache.enabled()) {
              SourceFile file = load_source(options->cell.path);
              DiagnosticEngine diagnostics(file);
              const double cached_ms = milliseconds([&] {
                DimensionArgs dimensions = parse_dimension_args(options->cell.dimensions);
                std::optional<Graph> bound = build_ir(file, dimensions, diagnostics);
                auto kernels = CompiledCell::compile(*bound, options->target);
                (*kernels)->forward_training();
                (*kernels)->backward();
              });
              std::cout << fmt::format("compile cached {:.1f} ms\n", cached_ms);
            }
            auto report = [&](const char* pass, double ms, double gflop) {
              std::cout << fmt::format("{:<10} {:>10.3f} ms {:>9.2f} GFLOP/s\n", pass, ms, gflop / (ms * 1e-3));
            };
            report("fwd-infer", time_pass([&] { cell->forward_inference(args); }), forward_gflop);
            report("fwd-train", time_pass([&] { cell->forward_training(args); }), forward_gflop);
            report("fwd+bwd", time_pass([&] {
                     cell->forward_training(args);
                     cell->backward(backward);
                   }),
                   3 * forward_gflop);
            return 0;
          }};
}

}  // namespace rnnc::cli
