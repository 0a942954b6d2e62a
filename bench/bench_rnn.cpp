// bench_rnn: rnnc against oneDNN 2.6, two hand-written C++ baselines and
// (when built with it) libtorch, on one thread, in one process.
//
// Benchmarks, each over H = I ∈ {256, 512, 1024} × B ∈ {1, 16, 64}, T = 50:
//
//   CELL/PASS/IMPL/H:256/B:1/real_time
//     CELL  rnn, lstm, gru, gru_classic, layernorm_lstm (dsl/*.cell)
//     PASS  fwd-infer, fwd-train, fwd+bwd (see problem.h)
//     IMPL  rnnc; onednn (all cells but layernorm_lstm); loop and blas (lstm,
//           gru; blas only when built with OpenBLAS); torch (rnn, lstm,
//           gru, layernorm_lstm; when built with libtorch)
//   compile/CELL/rnnc/H:256/real_time
//     parse, check, IR, differentiation and LLVM JIT of the cell: a fresh
//     compilation each iteration (the runtime's per-process cache is
//     bypassed).
//
// Each pass benchmark reports the counters FLOPS (a rate: FLOPs per
// iteration as problem.h counts them, over real time; the console shows it
// in G/s) and FLOP (per iteration), and a label
// "cell=… pass=… impl=… T=… I=… H=… B=…", so that the runs of one problem
// can be matched across implementations (bench/report.py does that).
// Everything but the pass itself (compilation, primitive creation, weight
// layout changes, allocation, random data) happens before the timed loop,
// once per problem (see prepare()). There is no separate warm-up pass:
// Google Benchmark's first trial of one iteration is one, discarded unless
// it already took --benchmark_min_time (0.5 s by default), and a pass that
// slow hardly notices its first touch of the buffers; a warm-up would
// double the time of the slowest runs.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "baselines.h"
#include "onednn_peer.h"
#include "problem.h"
#include "rnnc_runner.h"
#ifdef RNNC_BENCH_HAVE_TORCH
#include "torch_peer.h"
#endif

namespace {

using namespace rnnc::bench;

constexpr std::int64_t kSteps = 50;
const std::vector<std::int64_t> kHidden = {256, 512, 1024};
const std::vector<std::int64_t> kBatch = {1, 16, 64};

constexpr CellKind kCells[] = {CellKind::Rnn, CellKind::Lstm, CellKind::Gru, CellKind::GruClassic,
                               CellKind::LayernormLstm};
constexpr Pass kPasses[] = {Pass::ForwardInference, Pass::ForwardTraining, Pass::ForwardBackward};

enum class Impl { Rnnc, Onednn, Loop, Blas, Torch };
constexpr Impl kImpls[] = {Impl::Rnnc, Impl::Onednn, Impl::Loop, Impl::Blas, Impl::Torch};

std::string impl_name(Impl impl) {
  switch (impl) {
    case Impl::Rnnc: return "rnnc";
    case Impl::Onednn: return "onednn";
    case Impl::Loop: return "loop";
    case Impl::Blas: return "blas";
    case Impl::Torch: return "torch";
  }
  return "?";
}

bool available(Impl impl, CellKind cell) {
  switch (impl) {
    case Impl::Rnnc: return true;
    case Impl::Onednn: return OnednnPeer::supports(cell);
    case Impl::Loop: return baseline_supports(cell);
    case Impl::Blas: return blas_available() && baseline_supports(cell);
    case Impl::Torch:
#ifdef RNNC_BENCH_HAVE_TORCH
      return TorchPeer::supports(cell);
#else
      return false;
#endif
  }
  return false;
}

rnnc::DimensionArgs dimensions(const Shape& shape) { return {{"I", shape.input}, {"H", shape.hidden}}; }

// What one pass benchmark times: an implementation set up for one problem.
struct Prepared {
  std::string key;              // cell, pass, implementation and shape
  std::shared_ptr<void> owner;  // the runner, peer or baseline
  std::function<void()> run;
};

template <class Runner>
void own(Prepared& prepared, std::shared_ptr<Runner> runner) {
  prepared.run = [raw = runner.get()] { raw->run(); };
  prepared.owner = std::move(runner);
}

// Google Benchmark calls a benchmark function several times for one
// problem (a trial of 1 iteration, then more until --benchmark_min_time is
// reached), so the last problem's setup is kept: it is made once and run
// once untimed, so that every timed run is warm (buffers touched, scratch
// allocated). Without that, a problem whose first trial already exceeds
// the minimum time was measured cold: layernorm_lstm fwd+bwd at H = 256,
// B = 64 took 738 ms cold against 250 ms warm, mostly first-touch page
// faults. Only one setup is kept, to bound memory; it is freed before the
// next is made.
Prepared& last_prepared() {
  static Prepared last;
  return last;
}

// The machine rnnc's kernels are compiled for: the host, or
// $RNNC_BENCH_TARGET_CPU and $RNNC_BENCH_TARGET_FEATURES (LLVM names, as
// `rnnc bench --target-cpu/--target-features` take them), so that an
// AVX-512 host measures AVX2 kernels against oneDNN held to AVX2 by its own
// DNNL_MAX_CPU_ISA=AVX2.
const rnnc::TargetOptions& bench_target() {
  static const rnnc::TargetOptions target = [] {
    const char* cpu = std::getenv("RNNC_BENCH_TARGET_CPU");
    const char* features = std::getenv("RNNC_BENCH_TARGET_FEATURES");
    return rnnc::TargetOptions{cpu ? cpu : "", features ? features : ""};
  }();
  return target;
}

Prepared& prepare(CellKind cell, Pass pass, Impl impl, const Shape& shape) {
  Prepared& last = last_prepared();
  std::string key = std::string(cell_name(cell)) + "/" + std::string(pass_name(pass)) + "/" + impl_name(impl) +
                    "/" + std::to_string(shape.hidden) + "/" + std::to_string(shape.batch);
  if (last.key == key) return last;
  last = Prepared{};
  switch (impl) {
    case Impl::Rnnc:
      own(last, std::make_shared<RnncRunner>(rnnc::Cell::from_file(cell_path(cell), dimensions(shape), bench_target()),
                                             pass, shape));
      break;
    case Impl::Onednn: own(last, std::make_shared<OnednnPeer>(cell, pass, shape)); break;
    case Impl::Loop:
    case Impl::Blas:
      own(last, std::shared_ptr<Baseline>(
                    make_baseline(cell, pass, shape, impl == Impl::Loop ? GemmBackend::Loop : GemmBackend::Blas)));
      break;
    case Impl::Torch:
#ifdef RNNC_BENCH_HAVE_TORCH
      own(last, std::make_shared<TorchPeer>(cell, pass, shape));
#endif
      break;
  }
  if (!last.run) throw std::logic_error("bench_rnn: " + key + " is not available");
  last.run();
  last.key = std::move(key);
  return last;
}

void bench_pass(benchmark::State& state, CellKind cell, Pass pass, Impl impl) {
  const Shape shape{.steps = kSteps, .batch = state.range(1), .input = state.range(0), .hidden = state.range(0)};
  Prepared* prepared = nullptr;
  try {
    prepared = &prepare(cell, pass, impl, shape);
  } catch (const std::exception& error) {
    state.SkipWithError(error.what());
    return;
  }
  for (auto _ : state) prepared->run();
  // Shown as "FLOPS=12.3G/s" and "FLOP=52.4M"; the JSON has plain FLOP/s
  // and FLOP per iteration (which report.py --time cpu divides by CPU time).
  const double flop = flops(cell, pass, shape);
  state.counters["FLOPS"] = benchmark::Counter(flop, benchmark::Counter::kIsIterationInvariantRate,
                                               benchmark::Counter::kIs1000);
  state.counters["FLOP"] = benchmark::Counter(flop, benchmark::Counter::kDefaults, benchmark::Counter::kIs1000);
  state.SetLabel("cell=" + std::string(cell_name(cell)) + " pass=" + std::string(pass_name(pass)) +
                 " impl=" + impl_name(impl) + " T=" + std::to_string(shape.steps) +
                 " I=" + std::to_string(shape.input) + " H=" + std::to_string(shape.hidden) +
                 " B=" + std::to_string(shape.batch));
}

// A fresh compilation per iteration: a comment that changes every time
// makes the text, and so the runtime's in-memory cache key, new; the kernel
// cache on disk, which ignores comments, is off in bench_rnn (main).
void bench_compile(benchmark::State& state, CellKind cell) {
  const std::int64_t H = state.range(0);
  auto file = rnnc::read_source_file(cell_path(cell));
  if (!file) {
    state.SkipWithError(file.error().message.c_str());
    return;
  }
  std::int64_t serial = 0;
  try {
    for (auto _ : state) {
      rnnc::Cell compiled({file->name, file->text + "\n# compilation " + std::to_string(serial++) + "\n"},
                          {{"I", H}, {"H", H}}, bench_target());
      benchmark::DoNotOptimize(compiled.compiled().forward_inference().function);
    }
  } catch (const std::exception& caught) {
    state.SkipWithError(caught.what());
  }
  state.SetLabel("cell=" + std::string(cell_name(cell)) + " pass=compile impl=rnnc I=" + std::to_string(H) +
                 " H=" + std::to_string(H));
}

void register_benchmarks() {
  for (CellKind cell : kCells) {
    const std::string cell_text(cell_name(cell));
    benchmark::RegisterBenchmark(("compile/" + cell_text + "/rnnc").c_str(),
                                 [cell](benchmark::State& state) { bench_compile(state, cell); })
        ->ArgsProduct({kHidden})
        ->ArgNames({"H"})
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
  for (CellKind cell : kCells) {
    for (Pass pass : kPasses) {
      for (Impl impl : kImpls) {
        if (!available(impl, cell)) continue;
        const std::string name = std::string(cell_name(cell)) + "/" + std::string(pass_name(pass)) + "/" + impl_name(impl);
        benchmark::RegisterBenchmark(name.c_str(),
                                     [cell, pass, impl](benchmark::State& state) { bench_pass(state, cell, pass, impl); })
            ->ArgsProduct({kHidden, kBatch})
            ->ArgNames({"H", "B"})
            ->UseRealTime()
            ->Unit(benchmark::kMillisecond);
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  // compile/ rows time real compiles, not loads from the kernel cache.
  ::setenv("RNNC_CACHE", "off", 1);
  // One thread everywhere: oneDNN's OpenMP runtime, OpenBLAS's threads (and
  // libtorch's, in its peer). rnnc's kernels and the loop baseline have
  // none.
  onednn_use_one_thread();
  blas_use_one_thread();
#ifdef RNNC_BENCH_HAVE_TORCH
  torch_use_one_thread();
#endif
  benchmark::AddCustomContext("onednn", onednn_version());
  benchmark::AddCustomContext("onednn_omp_max_threads", std::to_string(onednn_max_threads()));
  benchmark::AddCustomContext("openblas", blas_available() ? blas_description() : "not built in");
  const rnnc::TargetOptions& target = bench_target();
  benchmark::AddCustomContext("rnnc_target", target.cpu.empty() && target.features.empty()
                                                 ? "host CPU (LLVM JIT)"
                                                 : "cpu '" + target.cpu + "' features '" + target.features + "'");
  const char* onednn_isa = std::getenv("DNNL_MAX_CPU_ISA");
  benchmark::AddCustomContext("onednn_max_cpu_isa", onednn_isa ? onednn_isa : "(all the host has)");
  benchmark::AddCustomContext("flops", "benchdnn: 2*G*H*(I+H)*B*T forward, fwd+bwd = 3x forward");
  register_benchmarks();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  last_prepared() = Prepared{};  // freed here, not among the static destructors
  benchmark::Shutdown();
  return 0;
}
