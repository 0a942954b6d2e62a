// Ahead-of-time kernels against the JIT: for every dsl/*.cell, `rnnc
// compile` at small dimensions, a C shim built against the generated header
// (with -std=c99 -Wall -Werror) and linked with the object into a shared
// library, then forward inference, forward training and backward through
// the header's functions and through rnnc::Cell on the same data (the next
// cell's object is built while the JIT compiles this one). Same
// target, same IR: the results must be equal bit for bit. The object may
// need nothing but libc.
#include <dlfcn.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <random>
#include <set>
#include <sstream>

#include "diagnostics_support.h"
#include "rnnc/cell.h"
#include "support/temporary_directory.h"

namespace {

// The header's functions under fixed names, so that one driver serves
// every cell (each compiled with --name aot).
constexpr const char* kShim = R"(#include "aot.h"
int shim_pack(const float* const* params, float* packed) { return aot_pack_weights(params, packed); }
int shim_inference(int64_t steps, int64_t batch, const float* const* inputs, const float* const* initial_states,
                   float* const* outputs, float* const* final_states, const float* const* params,
                   const float* packed, int64_t threads) {
  return aot_forward_inference(steps, batch, inputs, initial_states, outputs, final_states, params, packed, NULL,
                               threads);
}
int shim_training(int64_t steps, int64_t batch, const float* const* inputs, const float* const* initial_states,
                  float* const* outputs, float* const* final_states, const float* const* params,
                  const float* packed, float* workspace, int64_t threads) {
  return aot_forward_training(steps, batch, inputs, initial_states, outputs, final_states, params, packed,
                              workspace, NULL, threads);
}
int shim_backward(int64_t steps, int64_t batch, const float* const* inputs, const float* workspace,
                  const float* const* output_adjoints, const float* const* final_state_adjoints,
                  float* const* input_adjoints, float* const* initial_state_adjoints, const float* const* params,
                  const float* packed, float* const* gradients, int64_t threads) {
  return aot_backward(steps, batch, inputs, workspace, output_adjoints, final_state_adjoints, input_adjoints,
                      initial_state_adjoints, params, packed, gradients, NULL, threads);
}
int64_t shim_packed_floats(void) { return AOT_PACKED_FLOATS; }
int64_t shim_workspace_floats(int64_t steps, int64_t batch) { return aot_workspace_floats(steps, batch); }
)";

using Pack = int (*)(const float* const*, float*);
using Inference = int (*)(std::int64_t, std::int64_t, const float* const*, const float* const*, float* const*,
                          float* const*, const float* const*, const float*, std::int64_t);
using Training = int (*)(std::int64_t, std::int64_t, const float* const*, const float* const*, float* const*,
                         float* const*, const float* const*, const float*, float*, std::int64_t);
using Backward = int (*)(std::int64_t, std::int64_t, const float* const*, const float*, const float* const*,
                         const float* const*, float* const*, float* const*, const float* const*, const float*,
                         float* const*, std::int64_t);
using Floats = std::int64_t (*)(void);
using WorkspaceFloats = std::int64_t (*)(std::int64_t, std::int64_t);

using Buffers = std::vector<std::vector<float>>;

// The undefined symbols of an object file that libc provides, or the
// linker itself (_GLOBAL_OFFSET_TABLE_ of position-independent code).
const std::set<std::string> kLibcSymbols = {"pthread_create", "pthread_join", "sched_yield",          "memcpy",
                                            "memset",         "memmove",      "_GLOBAL_OFFSET_TABLE_"};

std::vector<std::string> undefined_symbols(const std::string& object) {
  rnnc_test::RunResult nm = rnnc_test::run_command({"nm", "-u", object});
  REQUIRE(nm.exit_code == 0);
  std::vector<std::string> symbols;
  std::istringstream lines(nm.out);
  std::string kind, name;
  while (lines >> kind >> name) symbols.push_back(name);
  return symbols;
}

// The cell's dimensions, small: P (a projection) 3, everything else 5 but I 4.
rnnc::DimensionArgs small_dimensions(const std::string& path) {
  std::ifstream file(path);
  std::string text((std::istreambuf_iterator<char>(file)), {});
  std::size_t open = text.find('<', text.find("cell ")), close = text.find('>', open);
  rnnc::DimensionArgs dimensions;
  std::istringstream names(text.substr(open + 1, close - open - 1));
  std::string name;
  while (std::getline(names, name, ',')) {
    name.erase(std::remove(name.begin(), name.end(), ' '), name.end());
    dimensions.emplace_back(name, name == "I" ? 4 : name == "P" ? 3 : 5);
  }
  return dimensions;
}

Buffers random_buffers(const std::vector<std::int64_t>& sizes, std::mt19937& generator) {
  std::uniform_real_distribution<float> uniform(-0.5f, 0.5f);
  Buffers buffers;
  for (std::int64_t size : sizes) {
    buffers.emplace_back(std::size_t(size));
    for (float& value : buffers.back()) value = uniform(generator);
  }
  return buffers;
}

Buffers zero_buffers(const Buffers& like) {
  Buffers buffers;
  for (const auto& buffer : like) buffers.emplace_back(buffer.size(), 0.0f);
  return buffers;
}

template <class Pointer>
std::vector<Pointer> pointers(Buffers& buffers) {
  std::vector<Pointer> result;
  for (auto& buffer : buffers) result.push_back(buffer.data());
  return result;
}

template <class Span>
std::vector<Span> spans(Buffers& buffers) {
  return std::vector<Span>(buffers.begin(), buffers.end());
}

// Bit for bit.
void check_equal(const char* what, const Buffers& aot, const Buffers& jit) {
  REQUIRE(aot.size() == jit.size());
  for (std::size_t i = 0; i < aot.size(); ++i) {
    INFO(what << " " << i);
    REQUIRE(aot[i].size() == jit[i].size());
    CHECK(std::memcmp(aot[i].data(), jit[i].data(), aot[i].size() * sizeof(float)) == 0);
  }
}

// `rnnc compile` of the cell into `directory`/aot.{o,h}, then the shim
// linked with the object into `directory`/aot.so. Runs on a thread of its
// own (no Catch assertions here), beside the JIT of the previous cell.
struct BuiltObject {
  rnnc_test::RunResult compile, link;
};

BuiltObject build_object(const std::string& cell_path, const std::string& directory,
                         const rnnc::TargetOptions& target) {
  std::filesystem::create_directory(directory);
  std::vector<std::string> args = {"compile", cell_path, "-o", directory + "/aot", "--name", "aot"};
  if (!target.cpu.empty()) args.insert(args.end(), {"--target-cpu", target.cpu});
  for (const auto& [name, value] : small_dimensions(cell_path))
    args.push_back("-D" + name + "=" + std::to_string(value));
  BuiltObject built{rnnc_test::run_rnnc(args), {}};
  if (built.compile.exit_code != 0) return built;
  std::ofstream(directory + "/shim.c") << kShim;
  built.link = rnnc_test::run_command({"cc", "-std=c99", "-pedantic", "-Wall", "-Wextra", "-Werror", "-fPIC", "-shared",
                                       "-o", directory + "/aot.so", directory + "/shim.c", directory + "/aot.o"});
  return built;
}

void compare_with_jit(const std::string& cell_path, const std::string& library, int threads,
                      const rnnc::TargetOptions& target = {}) {
  rnnc::DimensionArgs dimensions = small_dimensions(cell_path);
  rnnc::Cell cell = rnnc::Cell::from_file(cell_path, dimensions, target);
  cell.set_threads(threads);
  const rnnc::Graph& graph = cell.graph();
  const std::int64_t T = 3, B = 2;

  void* handle = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  INFO(dlerror());
  REQUIRE(handle != nullptr);
  auto symbol = [&](const char* name) {
    void* address = dlsym(handle, name);
    REQUIRE(address != nullptr);
    return address;
  };
  auto pack = reinterpret_cast<Pack>(symbol("shim_pack"));
  auto inference = reinterpret_cast<Inference>(symbol("shim_inference"));
  auto training = reinterpret_cast<Training>(symbol("shim_training"));
  auto backward = reinterpret_cast<Backward>(symbol("shim_backward"));
  auto packed_floats = reinterpret_cast<Floats>(symbol("shim_packed_floats"));
  auto workspace_floats = reinterpret_cast<WorkspaceFloats>(symbol("shim_workspace_floats"));

  std::vector<std::int64_t> input_sizes, state_sizes, output_sizes, param_sizes;
  for (const rnnc::Symbol& input : graph.inputs) input_sizes.push_back(T * B * rnnc::element_count(input.shape));
  for (const rnnc::Symbol& state : graph.states) state_sizes.push_back(B * rnnc::element_count(state.shape));
  for (const rnnc::Output& output : graph.outputs) {
    output_sizes.push_back(T * B * rnnc::element_count(graph.node(output.node).shape));
  }
  for (const rnnc::Symbol& param : graph.params) param_sizes.push_back(rnnc::element_count(param.shape));
  std::mt19937 generator(7);
  Buffers inputs = random_buffers(input_sizes, generator), states = random_buffers(state_sizes, generator);
  Buffers params = random_buffers(param_sizes, generator);
  Buffers output_adjoints = random_buffers(output_sizes, generator);
  Buffers final_state_adjoints = random_buffers(state_sizes, generator);
  for (std::size_t p = 0; p < params.size(); ++p)
    std::copy(params[p].begin(), params[p].end(), cell.parameter(p).begin());

  std::vector<const float*> input_pointers = pointers<const float*>(inputs),
                            state_pointers = pointers<const float*>(states);
  std::vector<const float*> param_pointers = pointers<const float*>(params);
  std::vector<float> packed(static_cast<std::size_t>(packed_floats()));
  REQUIRE(pack(param_pointers.data(), packed.data()) == 0);

  for (bool train : {false, true}) {
    Buffers jit_outputs = random_buffers(output_sizes, generator), jit_finals = random_buffers(state_sizes, generator);
    Buffers aot_outputs = zero_buffers(jit_outputs), aot_finals = zero_buffers(jit_finals);
    rnnc::ForwardArgs args{T,
                           B,
                           spans<std::span<const float>>(inputs),
                           spans<std::span<const float>>(states),
                           spans<std::span<float>>(jit_outputs),
                           spans<std::span<float>>(jit_finals)};
    std::vector<float*> output_pointers = pointers<float*>(aot_outputs), final_pointers = pointers<float*>(aot_finals);
    std::vector<float> workspace(std::size_t(workspace_floats(T, B)));
    if (!train) {
      cell.forward_inference(args);
      REQUIRE(inference(T, B, input_pointers.data(), state_pointers.data(), output_pointers.data(),
                        final_pointers.data(), param_pointers.data(), packed.data(), threads) == 0);
      check_equal("inference output", aot_outputs, jit_outputs);
      check_equal("inference final state", aot_finals, jit_finals);
      continue;
    }
    cell.forward_training(args);
    REQUIRE(training(T, B, input_pointers.data(), state_pointers.data(), output_pointers.data(), final_pointers.data(),
                     param_pointers.data(), packed.data(), workspace.data(), threads) == 0);
    check_equal("training output", aot_outputs, jit_outputs);
    check_equal("training final state", aot_finals, jit_finals);

    Buffers jit_input_adjoints = random_buffers(input_sizes, generator);
    Buffers jit_state_adjoints = random_buffers(state_sizes, generator);
    Buffers aot_input_adjoints = zero_buffers(jit_input_adjoints),
            aot_state_adjoints = zero_buffers(jit_state_adjoints);
    Buffers aot_gradients = zero_buffers(params);
    cell.zero_gradients();
    cell.backward({spans<std::span<const float>>(output_adjoints), spans<std::span<const float>>(final_state_adjoints),
                   spans<std::span<float>>(jit_input_adjoints), spans<std::span<float>>(jit_state_adjoints)});
    std::vector<const float*> output_adjoint_pointers = pointers<const float*>(output_adjoints);
    std::vector<const float*> final_adjoint_pointers = pointers<const float*>(final_state_adjoints);
    std::vector<float*> input_adjoint_pointers = pointers<float*>(aot_input_adjoints);
    std::vector<float*> state_adjoint_pointers = pointers<float*>(aot_state_adjoints);
    std::vector<float*> gradient_pointers = pointers<float*>(aot_gradients);
    REQUIRE(backward(T, B, input_pointers.data(), workspace.data(), output_adjoint_pointers.data(),
                     final_adjoint_pointers.data(), input_adjoint_pointers.data(), state_adjoint_pointers.data(),
                     param_pointers.data(), packed.data(), gradient_pointers.data(), threads) == 0);
    check_equal("input adjoint", aot_input_adjoints, jit_input_adjoints);
    check_equal("initial state adjoint", aot_state_adjoints, jit_state_adjoints);
    Buffers jit_gradients;
    for (std::size_t p = 0; p < params.size(); ++p) {
      jit_gradients.emplace_back(cell.gradient(p).begin(), cell.gradient(p).end());
    }
    check_equal("gradient", aot_gradients, jit_gradients);
  }
  dlclose(handle);
}

}  // namespace

TEST_CASE("aot: every standard cell's object equals its JIT kernels bit for bit and needs only libc", "[aot]") {
  rnnc::testing::TemporaryDirectory scratch;
  std::vector<std::filesystem::path> cells;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(RNNC_SOURCE_DIR) + "/dsl")) {
    if (entry.path().extension() == ".cell") cells.push_back(entry.path());
  }
  std::sort(cells.begin(), cells.end());
  auto start = [&](std::size_t i) {
    return std::async(std::launch::async, build_object, cells[i].string(), scratch.file(cells[i].stem().string()),
                      rnnc::TargetOptions{});
  };
  std::future<BuiltObject> next = start(0);
  for (std::size_t i = 0; i < cells.size(); ++i) {
    BuiltObject built = next.get();
    if (i + 1 < cells.size()) next = start(i + 1);
    std::string cell_path = cells[i].string(), directory = scratch.file(cells[i].stem().string());
    INFO(cell_path << "\n" << built.compile.err << built.link.err);
    REQUIRE(built.compile.exit_code == 0);
    REQUIRE(built.link.exit_code == 0);
    for (const std::string& symbol : undefined_symbols(directory + "/aot.o")) {
      INFO("undefined symbol " << symbol);
      CHECK(kLibcSymbols.count(symbol) == 1);
    }
    // One thread, and a team of three whose split of the work differs.
    compare_with_jit(cell_path, directory + "/aot.so", 1);
    compare_with_jit(cell_path, directory + "/aot.so", 3);
  }
}

TEST_CASE("aot: an object cross-compiled for plain x86-64 equals the JIT kernels for that CPU", "[aot]") {
  rnnc::testing::TemporaryDirectory scratch;
  const rnnc::TargetOptions x86_64{"x86-64", ""};
  std::string cell_path = std::string(RNNC_SOURCE_DIR) + "/dsl/gru.cell";
  BuiltObject built = build_object(cell_path, scratch.file("gru"), x86_64);
  INFO(built.compile.err << built.link.err);
  REQUIRE(built.compile.exit_code == 0);
  REQUIRE(built.link.exit_code == 0);
  compare_with_jit(cell_path, scratch.file("gru") + "/aot.so", 2, x86_64);
}

TEST_CASE("aot: the header compiles as C++ and two cells link into one program", "[aot]") {
  rnnc::testing::TemporaryDirectory scratch;
  std::string source = std::string(RNNC_SOURCE_DIR) + "/dsl/";
  for (const char* cell : {"gru", "lstm"}) {
    rnnc_test::RunResult compile =
        rnnc_test::run_rnnc({"compile", source + cell + ".cell", "-D", "I=4", "-D", "H=8", "-o", scratch.file(cell)});
    INFO(compile.err);
    REQUIRE(compile.exit_code == 0);
  }
  std::ofstream(scratch.file("main.cpp")) << R"(#include "gru.h"
#include "lstm.h"
#include <vector>
int main() {
  std::vector<float> lstm_packed(LSTM_PACKED_FLOATS), gru_packed(GRU_PACKED_FLOATS);
  std::vector<std::vector<float>> storage(LSTM_NUM_PARAMS + GRU_NUM_PARAMS, std::vector<float>(1024, 0.5f));
  const float* lstm_params[LSTM_NUM_PARAMS];
  const float* gru_params[GRU_NUM_PARAMS];
  for (int p = 0; p < LSTM_NUM_PARAMS; ++p) lstm_params[p] = storage[p].data();
  for (int p = 0; p < GRU_NUM_PARAMS; ++p) gru_params[p] = storage[LSTM_NUM_PARAMS + p].data();
  bool ok = lstm_pack_weights(lstm_params, lstm_packed.data()) == RNNC_OK &&
            gru_pack_weights(gru_params, gru_packed.data()) == RNNC_OK &&
            lstm_pack_weights(lstm_params, nullptr) == RNNC_ERROR_NULL_BUFFER;
  // No steps: the final states are the initial ones.
  std::vector<float> h0(2 * LSTM_DIM_H, 0.25f), c0(2 * LSTM_DIM_H, -0.5f), hT(h0.size()), cT(c0.size()), none(1);
  const float* inputs[] = {none.data()};
  const float* initial_states[] = {h0.data(), c0.data()};
  float* outputs[] = {none.data()};
  float* final_states[] = {hT.data(), cT.data()};
  ok = ok && lstm_forward_inference(0, 2, inputs, initial_states, outputs, final_states, lstm_params, lstm_packed.data(),
                                    nullptr, 1) == RNNC_OK;
  ok = ok && lstm_forward_inference(0, 2, inputs, initial_states, outputs, final_states, lstm_params, lstm_packed.data(),
                                    nullptr, 0) == RNNC_ERROR_THREADS;
  return ok && hT == h0 && cT == c0 ? 0 : 1;
}
)";
  std::string program = scratch.file("two_cells");
  rnnc_test::RunResult cxx =
      rnnc_test::run_command({"c++", "-std=c++17", "-Wall", "-Wextra", "-Werror", "-I", scratch.path().string(), "-o",
                              program, scratch.file("main.cpp"), scratch.file("gru.o"), scratch.file("lstm.o")});
  INFO(cxx.err);
  REQUIRE(cxx.exit_code == 0);
  CHECK(rnnc_test::run_command({program}).exit_code == 0);
}

TEST_CASE("aot: an object for features this CPU lacks returns RNNC_ERROR_CPU naming them instead of dying of SIGILL", "[aot][cpu]") {
  // xop (AMD Bulldozer only) is absent from every Zen and every Intel CPU.
  if (__builtin_cpu_supports("xop")) return;
  rnnc::testing::TemporaryDirectory scratch;
  std::string cell = std::string(RNNC_SOURCE_DIR) + "/dsl/rnn.cell";
  for (const auto& [name, features] : {std::pair{"lacking", "+xop"}, std::pair{"host", ""}}) {
    std::vector<std::string> args = {"compile", cell, "-D", "I=4", "-D", "H=8", "-o", scratch.file(name)};
    if (*features) args.insert(args.end(), {"--target-cpu", "x86-64", "--target-features", features});
    rnnc_test::RunResult compile = rnnc_test::run_rnnc(args);
    INFO(compile.err);
    REQUIRE(compile.exit_code == 0);
  }
  // Every wrapper returns the error, every time (the check is cached); the
  // kernels never run. The same program against a host object succeeds.
  std::ofstream(scratch.file("main.c")) << R"(#include "cell.h"
#include <stdio.h>
#include <string.h>
int main(void) {
  static float params[RNN_NUM_PARAMS][8 * 8], packed[RNN_PACKED_FLOATS], x[4], h0[8], y[8], hT[8];
  const float* param_pointers[RNN_NUM_PARAMS];
  const float* inputs[] = {x};
  const float* initial[] = {h0};
  float* outputs[] = {y};
  float* final_states[] = {hT};
  int p, first, second, third;
  for (p = 0; p < RNN_NUM_PARAMS; ++p) param_pointers[p] = params[p];
  first = rnn_check_cpu();
  second = rnn_pack_weights(param_pointers, packed);
  third = rnn_forward_inference(1, 1, inputs, initial, outputs, final_states, param_pointers, packed, NULL, 1);
  printf("%d %d %d %s\n", first, second, third, rnnc_error_string(first));
  return first == second && second == third ? 0 : 1;
}
)";
  // +xop implies fma4 and sse4a, which Zen CPUs have and Intel CPUs lack.
  std::string lacking = std::string(__builtin_cpu_supports("fma4") ? "" : "fma4, ") +
                        (__builtin_cpu_supports("sse4a") ? "" : "sse4a, ") + "xop";
  for (const auto& [name, expected] :
       {std::pair<std::string, std::string>{"lacking", "5 5 5 this CPU lacks " + lacking +
                                                           ", which the kernels of cell 'rnn' use\n"},
        std::pair<std::string, std::string>{"host", "0 0 0 no error\n"}}) {
    std::filesystem::copy_file(scratch.file(name + ".h"), scratch.file("cell.h"),
                               std::filesystem::copy_options::overwrite_existing);
    std::string program = scratch.file("main_" + name);
    rnnc_test::RunResult cc =
        rnnc_test::run_command({"cc", "-std=c99", "-pedantic", "-Wall", "-Wextra", "-Werror", "-I", scratch.path().string(),
                                "-o", program, scratch.file("main.c"), scratch.file(name + ".o"), "-lpthread"});
    INFO(cc.err);
    REQUIRE(cc.exit_code == 0);
    rnnc_test::RunResult run = rnnc_test::run_command({program});
    INFO(run.err);
    CHECK(run.exit_code == 0);
    CHECK(run.out == expected);
  }
  CHECK_THAT(rnnc_test::read_whole_file(scratch.file("lacking.h")), Catch::Contains("{\"xop\", 0x80000001, 0, 2, 11, 0x6}"));
}
