// JIT kernels against the reference interpreter, for every shipped cell and
// for random cells, on the host CPU and on plain x86-64.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <random>
#include <sstream>

#include "rnnc/frontend.h"
#include "rnnc/interpreter.h"
#include "rnnc/jit.h"
#include "support/random_cell.h"

namespace {

// Worst |jit − reference| / max(1, |reference|) over a buffer.
double worst_error(const std::vector<float>& jit, const std::vector<float>& reference) {
  REQUIRE(jit.size() == reference.size());
  double worst = 0;
  for (std::size_t k = 0; k < jit.size(); ++k) {
    double error = std::abs(double(jit[k]) - double(reference[k])) / std::max(1.0, std::abs(double(reference[k])));
    worst = std::max(worst, std::isnan(error) ? INFINITY : error);
  }
  return worst;
}

std::vector<float> random_buffer(std::size_t size, std::mt19937& generator, float scale) {
  std::uniform_real_distribution<float> uniform(-scale, scale);
  std::vector<float> values(size);
  for (float& value : values) value = uniform(generator);
  return values;
}

void check_forward(const rnnc::Graph& graph, const rnnc::CompiledCell& cell, int steps, int batch) {
  std::mt19937 generator(5);
  rnnc::SequenceArgs<float> args;
  args.steps = steps;
  args.batch = batch;
  for (std::size_t i = 0; i < graph.inputs.size(); ++i) {
    args.inputs.push_back(random_buffer(rnnc::input_size(graph, i, steps, batch), generator, 1.0f));
  }
  for (std::size_t s = 0; s < graph.states.size(); ++s) {
    args.initial_states.push_back(random_buffer(rnnc::state_size(graph, s, batch), generator, 1.0f));
  }
  for (std::size_t p = 0; p < graph.params.size(); ++p) {
    args.params.push_back(random_buffer(rnnc::param_size(graph, p), generator, 0.5f));
  }
  rnnc::SequenceResult<float> expected = rnnc::run_sequence(graph, args);

  rnnc::SequenceResult<float> actual{expected.outputs, expected.final_states};
  for (auto& buffer : actual.outputs) std::fill(buffer.begin(), buffer.end(), NAN);
  for (auto& buffer : actual.final_states) std::fill(buffer.begin(), buffer.end(), NAN);
  std::vector<const float*> inputs, states, params;
  std::vector<float*> outputs, finals;
  for (const auto& buffer : args.inputs) inputs.push_back(buffer.data());
  for (const auto& buffer : args.initial_states) states.push_back(buffer.data());
  for (const auto& buffer : args.params) params.push_back(buffer.data());
  for (auto& buffer : actual.outputs) outputs.push_back(buffer.data());
  for (auto& buffer : actual.final_states) finals.push_back(buffer.data());
  std::vector<float> scratch(std::size_t(cell.forward_plan().scratch_floats(steps, batch)));
  cell.forward_inference()(steps, batch, inputs.data(), states.data(), finals.data(), outputs.data(), params.data(),
                           scratch.data());
  for (std::size_t o = 0; o < expected.outputs.size(); ++o) {
    INFO("output " << graph.outputs[o].name);
    CHECK(worst_error(actual.outputs[o], expected.outputs[o]) <= 1e-4);
  }
  for (std::size_t s = 0; s < expected.final_states.size(); ++s) {
    INFO("final state " << graph.states[s].name);
    CHECK(worst_error(actual.final_states[s], expected.final_states[s]) <= 1e-4);
  }
}

rnnc::Graph ir_of(const rnnc::SourceFile& file, const rnnc::DimensionArgs& dims) {
  rnnc::DiagnosticEngine diagnostics(file);
  std::optional<rnnc::Graph> graph = rnnc::build_ir(file, dims, diagnostics);
  std::ostringstream printed;
  diagnostics.print(printed);
  INFO(printed.str());
  REQUIRE(graph);
  return *graph;
}

}  // namespace

TEST_CASE("JIT forward inference equals the interpreter for every shipped cell", "[jit]") {
  auto cpu = GENERATE(as<std::string>{}, "", "x86-64");
  std::vector<std::string> paths;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(RNNC_SOURCE_DIR) + "/dsl")) {
    if (entry.path().extension() == ".cell") paths.push_back(entry.path().string());
  }
  for (const std::string& path : paths) {
    std::string error;
    std::optional<rnnc::SourceFile> file = rnnc::read_source_file(path, error);
    REQUIRE(file);
    rnnc::DiagnosticEngine probe(*file);
    auto checked = rnnc::parse_and_check(*file, probe);
    REQUIRE(checked);
    for (std::int64_t extent : {1, 7, 17}) {
      rnnc::DimensionArgs dims;
      for (const rnnc::NameRef& dimension : checked->ast.dimensions) {
        dims.emplace_back(dimension.name, extent + std::int64_t(dims.size()));
      }
      rnnc::Graph graph = ir_of(*file, dims);
      auto cell = rnnc::CompiledCell::compile(graph, {cpu, ""}, error);
      INFO(path << " extent " << extent << " cpu '" << cpu << "' " << error);
      REQUIRE(cell);
      for (auto [steps, batch] : {std::pair{1, 1}, std::pair{7, 3}, std::pair{2, 5}}) check_forward(graph, *cell, steps, batch);
    }
  }
}

TEST_CASE("JIT forward inference equals the interpreter for random cells", "[jit][random]") {
  for (std::uint32_t seed = 1; seed <= 40; ++seed) {
    rnnc::testing::RandomCell random = rnnc::testing::generate_random_cell(seed);
    rnnc::Graph graph = ir_of({"random.cell", random.text}, {{"I", 3}, {"H", 5}});
    std::string error;
    auto cell = rnnc::CompiledCell::compile(graph, {}, error);
    INFO(random.text << error);
    REQUIRE(cell);
    check_forward(graph, *cell, 3, 2);
  }
}

TEST_CASE("an unknown target CPU or feature is an error, not a crash", "[jit]") {
  rnnc::Graph graph = ir_of({"c.cell", "cell c<H> {\n state h[H]\n h' = tanh(h)\n}\n"}, {{"H", 4}});
  std::string error;
  CHECK_FALSE(rnnc::CompiledCell::compile(graph, {"no-such-cpu", ""}, error));
  CHECK(error.find("no-such-cpu") != std::string::npos);
  CHECK_FALSE(rnnc::CompiledCell::compile(graph, {"x86-64", "+no-such-feature"}, error));
  CHECK(error.find("no-such-feature") != std::string::npos);
  CHECK(rnnc::CompiledCell::compile(graph, {"x86-64", "+avx2,-avx512f"}, error));
}
