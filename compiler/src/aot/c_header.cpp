// The C99 header of an ahead-of-time cell. Its wrappers are static inline
// functions: they check the arguments, lay out the kernels' RowBuffer
// arrays exactly as the runtime does (runtime/src/cell.cpp), allocate
// scratch when the caller gives none, and call the four kernels the object
// file exports. The object therefore holds nothing but generated code.
//
// Names from the cell (dimensions, inputs, states, outputs, parameters)
// appear only inside macro names behind a fixed family prefix
// (NAME_DIM_, NAME_INPUT_, NAME_FLOATS_PARAM_, ...), so that no cell can
// clash with a C keyword or with the wrappers' own arguments.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "rnnc/aot.h"
#include "rnnc/jit.h"
#include "rnnc/limits.h"

namespace rnnc {

bool is_c_identifier(const std::string& name) {
  auto head = [](char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; };
  auto tail = [&](char c) { return head(c) || std::isdigit(static_cast<unsigned char>(c)); };
  return !name.empty() && head(name[0]) && std::all_of(name.begin(), name.end(), tail);
}

namespace {

// What every rnnc header declares, once per translation unit however many
// cells it includes. Its limits are the kernels'.
static_assert(kMaxKernelThreads == 256 && kMaxExtent == 2147483647,
              "RNNC_MAX_THREADS, RNNC_MAX_EXTENT and the error strings below state these limits");
constexpr const char* kCommonPart = R"(/* Shared by every header rnnc generates. */
#ifndef RNNC_AOT_COMMON_V2
#define RNNC_AOT_COMMON_V2
#include <cpuid.h>
#define RNNC_OK 0
#define RNNC_ERROR_EXTENT 1        /* steps or batch negative or above RNNC_MAX_EXTENT */
#define RNNC_ERROR_NULL_BUFFER 2   /* an array or buffer the call needs is NULL */
#define RNNC_ERROR_THREADS 3       /* threads outside 1..RNNC_MAX_THREADS */
#define RNNC_ERROR_OUT_OF_MEMORY 4 /* scratch was NULL and allocating it failed */
#define RNNC_ERROR_CPU 5           /* this CPU lacks instruction-set features the kernels use */
#define RNNC_MAX_EXTENT 2147483647
#define RNNC_MAX_THREADS 256

/* The kernels' view of a buffer: row r = t*B + b starts at
   data + r*row_stride (row_stride 0 repeats one row). */
typedef struct rnnc_row_buffer {
  float* data;
  int64_t row_stride;
} rnnc_row_buffer;

/* What the last failed CPU check of this translation unit found missing. */
static char rnnc_cpu_error_[512];
static int rnnc_cpu_error_lock_;

/* An instruction-set feature: its CPUID bit (leaf, subleaf, register
   eax/ebx/ecx/edx = 0..3, bit) and the register state XCR0 must show the
   OS saves for it. */
typedef struct rnnc_cpu_feature_ {
  const char* name;
  unsigned leaf, subleaf;
  int reg, bit;
  unsigned long long xcr0;
} rnnc_cpu_feature_;

static inline unsigned long long rnnc_xcr0_(void) {
  unsigned eax, ebx, ecx, edx, low, high;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & (1u << 27))) return 0; /* no OSXSAVE */
  __asm__ volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
  return (unsigned long long)high << 32 | low;
}

static inline int rnnc_cpu_has_(const rnnc_cpu_feature_* feature) {
  unsigned r[4] = {0, 0, 0, 0};
  if (!__get_cpuid_count(feature->leaf, feature->subleaf, &r[0], &r[1], &r[2], &r[3])) return 0;
  if (!(r[feature->reg] >> feature->bit & 1u)) return 0;
  return (rnnc_xcr0_() & feature->xcr0) == feature->xcr0;
}

/* RNNC_OK when the CPU has every feature; else RNNC_ERROR_CPU, with the
   missing ones named in rnnc_cpu_error_. */
static inline int rnnc_check_cpu_features_(const char* cell, const rnnc_cpu_feature_* features, int count) {
  char missing[400];
  size_t used = 0;
  int i;
  missing[0] = 0;
  for (i = 0; i < count; ++i) {
    size_t length = strlen(features[i].name);
    if (rnnc_cpu_has_(&features[i])) continue;
    if (used + length + 3 < sizeof missing) {
      if (used) missing[used++] = ',', missing[used++] = ' ';
      memcpy(missing + used, features[i].name, length + 1);
      used += length;
    }
  }
  if (!used) return RNNC_OK;
  while (__atomic_test_and_set(&rnnc_cpu_error_lock_, __ATOMIC_ACQUIRE)) {
  }
  snprintf(rnnc_cpu_error_, sizeof rnnc_cpu_error_, "this CPU lacks %s, which the kernels of cell '%s' use", missing,
           cell);
  __atomic_clear(&rnnc_cpu_error_lock_, __ATOMIC_RELEASE);
  return RNNC_ERROR_CPU;
}

static inline const char* rnnc_error_string(int error) {
  switch (error) {
    case RNNC_OK: return "no error";
    case RNNC_ERROR_EXTENT: return "steps or batch negative or too large";
    case RNNC_ERROR_NULL_BUFFER: return "a buffer is NULL";
    case RNNC_ERROR_THREADS: return "threads must be between 1 and 256";
    case RNNC_ERROR_OUT_OF_MEMORY: return "out of memory";
    case RNNC_ERROR_CPU: return rnnc_cpu_error_[0] ? rnnc_cpu_error_ : "this CPU lacks features the kernels use";
    default: return "unknown error";
  }
}

/* Checks steps, batch and threads; row_floats bounds the floats of a row of
   any buffer, so that no size overflows. */
static inline int rnnc_check_extents_(int64_t steps, int64_t batch, int64_t threads, int64_t row_floats) {
  if (steps < 0 || batch < 0 || steps > RNNC_MAX_EXTENT || batch > RNNC_MAX_EXTENT) return RNNC_ERROR_EXTENT;
  if ((steps + 1) * batch > INT64_MAX / row_floats / 4) return RNNC_ERROR_EXTENT;
  if (threads < 1 || threads > RNNC_MAX_THREADS) return RNNC_ERROR_THREADS;
  return RNNC_OK;
}

/* Whether the array or one of its count buffers is NULL. */
static inline int rnnc_any_null_(const float* const* buffers, int count) {
  int i;
  if (count > 0 && !buffers) return 1;
  for (i = 0; i < count; ++i) {
    if (!buffers[i]) return 1;
  }
  return 0;
}

/* The caller's buffer, or floats allocated (zeroed) into *owned. */
static inline float* rnnc_buffer_or_alloc_(float* given, int64_t floats, float** owned) {
  if (given) return given;
  *owned = (float*)calloc((size_t)(floats > 0 ? floats : 1), sizeof(float));
  return *owned;
}
#endif /* RNNC_AOT_COMMON_V2 */
)";

std::string upper(const std::string& text) {
  std::string result = text;
  for (char& c : result) c = char(std::toupper(static_cast<unsigned char>(c)));
  return result;
}

// `[64][8]`, `[16]`, `[1]` for a scalar.
std::string c_layout(const Shape& shape) {
  if (shape.rank == 2) return fmt::format("[{}][{}]", shape.rows.constant_value(), shape.cols.constant_value());
  return fmt::format("[{}]", element_count(shape));
}

// The entries of an LLVM feature string ("+avx2,-avx512f").
std::vector<std::string> split_features(const std::string& features) {
  std::vector<std::string> entries;
  std::size_t begin = 0;
  while (begin < features.size()) {
    std::size_t end = std::min(features.find(',', begin), features.size());
    entries.push_back(features.substr(begin, end - begin));
    begin = end + 1;
  }
  return entries;
}

// The length of a C array of `count` elements: C has no empty arrays.
std::size_t array_length(std::size_t count) { return std::max<std::size_t>(count, 1); }

class HeaderWriter {
 public:
  explicit HeaderWriter(const AotCell& cell)
      : cell_(cell), forward_(cell.layout.forward), name_(cell.name), macro_(upper(cell.name)) {}

  std::string write() {
    prologue();
    out_ += kCommonPart;
    constants();
    sizes();
    kernels();
    check_cpu();
    pack_weights();
    forward_inference();
    forward_training();
    backward();
    out_ += fmt::format("\n#ifdef __cplusplus\n}}\n#endif\n#endif /* {} */\n", guard());
    return out_;
  }

 private:
  std::string guard() const { return "RNNC_CELL_" + macro_ + "_H"; }
  std::int64_t length(const Shape& shape) const { return element_count(shape); }
  std::int64_t output_length(std::size_t o) const { return length(forward_.node(forward_.outputs[o].node).shape); }

  void line(const std::string& text) { out_ += text + "\n"; }

  // Words of a comment, wrapped at 100 columns.
  void comment_lines(const std::vector<std::string>& words) {
    std::string current = " *  ";
    for (const std::string& word : words) {
      if (current.size() + word.size() > 99) {
        line(current);
        current = " *  ";
      }
      current += " " + word;
    }
    line(current);
  }

  std::string dimensions() const {
    std::vector<std::string> bound;
    for (const std::string& dimension : forward_.dimension_names) {
      bound.push_back(fmt::format("{}={}", dimension, forward_.dimension_values.at(dimension)));
    }
    return fmt::format("{}", fmt::join(bound, ", "));
  }

  void prologue() {
    line(fmt::format("/* The rnnc cell '{}' with {}, compiled ahead of time (generated by rnnc; do not edit).",
                     forward_.cell_name, dimensions()));
    line(" *");
    line(" * The kernels are in the object file generated with this header, which needs nothing but libc");
    line(" * to link (the kernels start POSIX threads themselves). It was compiled for the CPU " + cell_.cpu);
    if (!cell_.features.empty()) {
      line(" * with the LLVM target features");
      comment_lines(split_features(cell_.features));
    }
    line(" * and runs only on CPUs with these (" + name_ + "_check_cpu() checks them):");
    std::vector<std::string> required;
    for (const CpuFeature& feature : cell_.layout.required_features) required.push_back(feature.name);
    comment_lines(required);
    line(" *");
    line(" * Buffers are dense float arrays, row-major: a sequence buffer [T][B][n] holds step t of");
    line(" * sample b at (t*B + b)*n, a state buffer [B][n] sample b at b*n, a matrix parameter");
    line(" * [rows][cols] row by row. T is `steps`, B is `batch`; both may be 0.");
    line(" *");
    line(" * Use: fill the parameters, call " + name_ + "_pack_weights() (again after every change to");
    line(" * them), then " + name_ + "_forward_inference(), or " + name_ + "_forward_training() followed by");
    line(" * " + name_ + "_backward() on the workspace it wrote. Every function is a static inline");
    line(" * wrapper that checks its arguments and calls a kernel of the object file; it returns RNNC_OK,");
    line(" * or an RNNC_ERROR_* code (rnnc_error_string()) before touching any buffer. `threads` (1 to");
    line(" * RNNC_MAX_THREADS) is how many threads share one call. Calls from several threads at once are");
    line(" * safe when they write distinct buffers. */");
    line(fmt::format("#ifndef {0}\n#define {0}\n", guard()));
    line("#include <stdint.h>\n#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n");
    line("#ifdef __cplusplus\nextern \"C\" {\n#endif\n");
  }

  struct NamedBuffer {
    std::string name;
    std::string layout;  // of one step and sample, or of a parameter
    std::int64_t floats;
  };

  // NAME_NUM_FAMILYS, then each buffer's index and floats.
  void buffer_macros(const std::string& family, const std::vector<NamedBuffer>& buffers) {
    line(fmt::format("#define {}_NUM_{}S {}", macro_, family, buffers.size()));
    for (std::size_t i = 0; i < buffers.size(); ++i) {
      const NamedBuffer& buffer = buffers[i];
      line(fmt::format("#define {}_{}_{} {} /* {} {} */", macro_, family, buffer.name, i, buffer.name, buffer.layout));
      line(fmt::format("#define {}_FLOATS_{}_{} {}", macro_, family, buffer.name, buffer.floats));
    }
  }

  std::vector<NamedBuffer> named_buffers(const std::vector<Symbol>& symbols) const {
    std::vector<NamedBuffer> buffers;
    for (const Symbol& symbol : symbols) buffers.push_back({symbol.name, c_layout(symbol.shape), length(symbol.shape)});
    return buffers;
  }

  void constants() {
    line("\n/* The dimensions the cell was compiled with. */");
    for (const std::string& dimension : forward_.dimension_names) {
      line(fmt::format("#define {}_DIM_{} {}", macro_, dimension, forward_.dimension_values.at(dimension)));
    }
    line("\n/* Each array argument has one buffer per input, state, output or parameter, in the order the");
    line(" * cell declares them: NAME_INPUT_x is x's index, NAME_FLOATS_INPUT_x its floats per step and");
    line(" * sample (per sample for states; in all for parameters and their gradients). */");
    buffer_macros("INPUT", named_buffers(forward_.inputs));
    buffer_macros("STATE", named_buffers(forward_.states));
    std::vector<NamedBuffer> outputs;
    for (std::size_t o = 0; o < forward_.outputs.size(); ++o) {
      outputs.push_back({forward_.outputs[o].name, fmt::format("[{}]", output_length(o)), output_length(o)});
    }
    buffer_macros("OUTPUT", outputs);
    buffer_macros("PARAM", named_buffers(forward_.params));
    line(
        fmt::format("#define {}_PACKED_FLOATS {} /* the packed weights */", macro_, cell_.layout.packing.floats));
  }

  // SequencePlan::scratch_floats, in C.
  static std::string scratch_formula(const SequencePlan& plan) {
    return fmt::format("steps * batch * {} + batch * {}", plan.scratch_floats_per_row(),
                       plan.scratch_floats_per_sample());
  }

  void sizes() {
    const WorkspaceLayout& workspace = cell_.layout.workspace;
    line("\n/* Floats of the buffers whose size depends on steps and batch. The workspace is what");
    line(fmt::format(" * forward training keeps for backward: [T][B][{}] saved values, then [T+1][B][{}] states",
                     workspace.saved_floats, workspace.state_floats));
    std::vector<std::string> offsets;
    for (std::size_t s = 0; s < forward_.states.size(); ++s) {
      offsets.push_back(fmt::format("{} at {}", forward_.states[s].name, workspace.state_offsets[s]));
    }
    line(fmt::format(" * ({} of each row; row t*B + b holds the states before step t). */", fmt::join(offsets, ", ")));
    line(fmt::format("static inline int64_t {}_workspace_floats(int64_t steps, int64_t batch) {{", name_));
    line(fmt::format("  return steps * batch * {} + (steps + 1) * batch * {};\n}}", workspace.saved_floats,
                     workspace.state_floats));
    for (auto [kernel, plan] : {std::pair{"forward_inference", &cell_.layout.inference},
                                std::pair{"forward_training", &cell_.layout.training},
                                std::pair{"backward", &cell_.layout.backward_kernel}}) {
      line(fmt::format("static inline int64_t {}_{}_scratch_floats(int64_t steps, int64_t batch) {{", name_, kernel));
      line(fmt::format("  return {};\n}}", scratch_formula(*plan)));
    }
  }

  void kernels() {
    line("\n/* The kernels in the object file, which the functions below call. */");
    std::string prefix = aot_kernel_prefix(name_);
    for (const char* kernel : {"forward_inference", "forward_training", "backward"}) {
      line(fmt::format("void {}_{}(int64_t steps, int64_t batch, const rnnc_row_buffer* sources,", prefix, kernel));
      line("    const float* const* initial_states, float* const* final_states, const rnnc_row_buffer* sinks,");
      line("    const float* const* params, float* const* param_gradients, const float* packed_weights,");
      line("    float* scratch, int64_t threads);");
    }
    line(fmt::format("void {}_pack_weights(const float* const* params, float* packed_weights);", prefix));
  }

  // NAME_check_cpu(): CPUID once, the answer cached (every wrapper calls it
  // first, so that a CPU without the features gets an error, not SIGILL).
  void check_cpu() {
    const std::vector<CpuFeature>& features = cell_.layout.required_features;
    line("\n/* RNNC_OK when this CPU can run the kernels: it has every instruction-set feature they were");
    line(" * compiled for (by CPUID, and XGETBV for the registers the OS saves), else RNNC_ERROR_CPU, and");
    line(" * rnnc_error_string(RNNC_ERROR_CPU) names the missing features. Checked once, then cached;");
    line(" * every function below calls it first. */");
    line(fmt::format("static inline int {}_check_cpu(void) {{", name_));
    line(fmt::format("  static const rnnc_cpu_feature_ features[{}] = {{", array_length(features.size())));
    for (const CpuFeature& feature : features) {
      line(fmt::format("      {{\"{}\", {:#x}, {}, {}, {}, {:#x}}},", feature.name, feature.leaf, feature.subleaf,
                       int(feature.reg), feature.bit, feature.xcr0_mask));
    }
    if (features.empty()) line("      {\"\", 0, 0, 0, 0, 0}");
    line("  };");
    line("  static int known; /* 0 until checked, then the result + 1 */");
    line("  int result = __atomic_load_n(&known, __ATOMIC_ACQUIRE);");
    line("  if (result) return result - 1;");
    line(fmt::format("  result = rnnc_check_cpu_features_(\"{}\", features, {});", forward_.cell_name,
                     features.size()));
    line("  __atomic_store_n(&known, result + 1, __ATOMIC_RELEASE);\n  return result;\n}");
  }

  void pack_weights() {
    line(fmt::format("\n/* Packs the weight matrices into packed ({0}_PACKED_FLOATS floats), the form every kernel",
                     macro_));
    line(" * reads them in. Call it once after each change to the parameters.");
    line(fmt::format(" *   params  [{}_NUM_PARAMS] in: the parameters */", macro_));
    line(fmt::format("static inline int {}_pack_weights(const float* const* params, float* packed) {{", name_));
    line(fmt::format("  int error = {}_check_cpu();\n  if (error) return error;", name_));
    line(fmt::format("  if (rnnc_any_null_(params, {}) || !packed) return RNNC_ERROR_NULL_BUFFER;",
                     forward_.params.size()));
    line(fmt::format("  {}_pack_weights(params, packed);\n  return RNNC_OK;\n}}", aot_kernel_prefix(name_)));
  }

  // The checks every sequence call starts with, then its scratch.
  void prelude(const std::string& kernel, const std::vector<std::pair<std::string, std::size_t>>& arrays,
               const std::vector<std::string>& pointers) {
    line(fmt::format("  float* owned_scratch = NULL;\n  int error = {}_check_cpu();", name_));
    line("  if (error) return error;");
    line(fmt::format("  error = rnnc_check_extents_(steps, batch, threads, {});", widest_row_floats(cell_.layout)));
    line("  if (error) return error;");
    std::vector<std::string> nulls;
    for (const auto& [array, count] : arrays) nulls.push_back(fmt::format("rnnc_any_null_({}, {})", array, count));
    for (const std::string& pointer : pointers) nulls.push_back("!" + pointer);
    line(fmt::format("  if ({}) {{\n    return RNNC_ERROR_NULL_BUFFER;\n  }}", fmt::join(nulls, " ||\n      ")));
    line(fmt::format("  scratch = rnnc_buffer_or_alloc_(scratch, {}_{}_scratch_floats(steps, batch), &owned_scratch);",
                     name_, kernel));
    line("  if (!scratch) return RNNC_ERROR_OUT_OF_MEMORY;");
  }

  // The C expressions of where `binding` points: its data, and its row
  // stride. `state_rows` is the workspace's state region.
  std::pair<std::string, std::string> bound(const ArgumentBinding& binding) const {
    using Region = ArgumentBinding::Region;
    const int i = binding.index;
    const std::string stride = std::to_string(binding.row_stride);
    auto given_or_zeros = [&](const char* array) -> std::pair<std::string, std::string> {
      std::string given = fmt::format("{0} && {0}[{1}]", array, i);
      return {fmt::format("{} ? (float*){}[{}] : zeros", given, array, i), fmt::format("{} ? {} : 0", given, stride)};
    };
    switch (binding.region) {
      case Region::Input: return {fmt::format("(float*)inputs[{}]", i), stride};
      case Region::Output: return {fmt::format("outputs[{}]", i), stride};
      case Region::InputAdjoint: return {fmt::format("input_adjoints[{}]", i), stride};
      case Region::OutputAdjoint: return given_or_zeros("output_adjoints");
      case Region::InitialState: return {fmt::format("(float*)initial_states[{}]", i), stride};
      case Region::FinalState: return {fmt::format("final_states[{}]", i), stride};
      case Region::FinalStateAdjoint: return given_or_zeros("final_state_adjoints");
      case Region::InitialStateAdjoint: return {fmt::format("initial_state_adjoints[{}]", i), stride};
      case Region::Saved: return {fmt::format("(float*)workspace + {}", binding.offset), stride};
      case Region::States:
        return {binding.step == 0 ? fmt::format("state_rows + {}", binding.offset)
                                  : fmt::format("state_rows + batch * {} + {}", binding.row_stride, binding.offset),
                stride};
    }
    return {};
  }

  // Emits `rnnc_row_buffer ARRAY[n];` and its rows.
  void row_buffers(const std::string& array, const std::vector<ArgumentBinding>& bindings) {
    line(fmt::format("  rnnc_row_buffer {}[{}];", array, array_length(bindings.size())));
    for (std::size_t i = 0; i < bindings.size(); ++i) {
      auto [data, stride] = bound(bindings[i]);
      line(fmt::format("  {0}[{1}].data = {2};\n  {0}[{1}].row_stride = {3};", array, i, data, stride));
    }
  }

  // Emits `TYPE ARRAY[n];` and the state pointers it holds.
  void state_pointers(const std::string& type, const std::string& array, const std::vector<ArgumentBinding>& bindings) {
    line(fmt::format("  {} {}[{}];", type, array, array_length(bindings.size())));
    for (std::size_t i = 0; i < bindings.size(); ++i) {
      line(fmt::format("  {}[{}] = {};", array, i, bound(bindings[i]).first));
    }
  }

  // The kernel's argument arrays, as its table binds them, then the call.
  void call(const std::string& kernel, const KernelArguments& arguments, const std::string& gradients) {
    row_buffers("sources", arguments.sources);
    state_pointers("const float*", "states_in", arguments.initial_states);
    state_pointers("float*", "states_out", arguments.final_states);
    row_buffers("sinks", arguments.sinks);
    line(fmt::format("  {}_{}(steps, batch, sources, states_in, states_out, sinks, params, {}, packed, scratch,",
                     aot_kernel_prefix(name_), kernel, gradients));
    line("      threads);");
  }

  std::vector<std::pair<std::string, std::size_t>> forward_arrays() const {
    return {{"inputs", forward_.inputs.size()},
            {"initial_states", forward_.states.size()},
            {"(const float* const*)outputs", forward_.outputs.size()},
            {"(const float* const*)final_states", forward_.states.size()},
            {"params", forward_.params.size()}};
  }

  void forward_documentation(const std::string& what) {
    line("\n/* " + what);
    line(fmt::format(" *   inputs          [{}_NUM_INPUTS] in: [T][B][n] each", macro_));
    line(fmt::format(" *   initial_states  [{}_NUM_STATES] in: [B][n] each, the states before step 0", macro_));
    line(fmt::format(" *   outputs         [{}_NUM_OUTPUTS] out: [T][B][n] each", macro_));
    line(fmt::format(" *   final_states    [{}_NUM_STATES] out: [B][n] each, the states after step T-1", macro_));
    line(fmt::format(" *   params          [{}_NUM_PARAMS] in: the parameters", macro_));
    line(fmt::format(" *   packed          in: {0}_PACKED_FLOATS floats from {1}_pack_weights(params, packed)", macro_,
                     name_));
  }

  // `width`: the column the descriptions start at.
  void scratch_documentation(const std::string& kernel, int width = 16) {
    line(fmt::format(" *   {:<{}}{}_{}_scratch_floats(T, B) floats, or NULL to allocate them for the call", "scratch",
                     width, name_, kernel));
    line(fmt::format(" *   {:<{}}1 to RNNC_MAX_THREADS */", "threads", width));
  }

  static constexpr const char* kForwardArguments =
      "(int64_t steps, int64_t batch, const float* const* inputs,\n"
      "    const float* const* initial_states, float* const* outputs, float* const* final_states,\n"
      "    const float* const* params, const float* packed,";

  void forward_inference() {
    forward_documentation("Runs the cell over a sequence.");
    scratch_documentation("forward_inference");
    line(fmt::format("static inline int {}_forward_inference{}\n    float* scratch, int64_t threads) {{", name_,
                     kForwardArguments));
    prelude("forward_inference", forward_arrays(), {"packed"});
    call("forward_inference", cell_.layout.inference_arguments, "NULL");
    line("  free(owned_scratch);\n  return RNNC_OK;\n}");
  }

  void forward_training() {
    const WorkspaceLayout& workspace = cell_.layout.workspace;
    forward_documentation("Runs the cell over a sequence like forward inference, and writes what backward needs.");
    line(
        fmt::format(" *   workspace       out: {}_workspace_floats(T, B) floats, read by {}_backward()", name_, name_));
    scratch_documentation("forward_training");
    line(fmt::format(
        "static inline int {}_forward_training{}\n    float* workspace, float* scratch, int64_t threads) {{", name_,
        kForwardArguments));
    prelude("forward_training", forward_arrays(), {"packed", "workspace"});
    if (!forward_.states.empty()) {
      line(fmt::format("  float* state_rows = workspace + steps * batch * {};\n  int64_t b, i;",
                       workspace.saved_floats));
      line("  /* Row 0 of the states: the initial states; the kernel writes rows 1 to T. */");
      line("  for (b = 0; b < batch; ++b) {");
      for (std::size_t s = 0; s < forward_.states.size(); ++s) {
        std::int64_t n = length(forward_.states[s].shape);
        line(fmt::format("    for (i = 0; i < {}; ++i) state_rows[b * {} + {} + i] = initial_states[{}][b * {} + i];",
                         n, workspace.state_floats, workspace.state_offsets[s], s, n));
      }
      line("  }");
    }
    call("forward_training", cell_.layout.training_arguments, "NULL");
    line("  free(owned_scratch);\n  return RNNC_OK;\n}");
  }

  void backward() {
    const WorkspaceLayout& workspace = cell_.layout.workspace;
    const BackwardStep& step = cell_.layout.backward;
    line("\n/* Backpropagates through the sequence of the last forward_training() call on `workspace`, which");
    line(" * must have had the same steps, batch, inputs and parameters. Gradients add into `gradients`.");
    line(fmt::format(" *   inputs                 [{}_NUM_INPUTS] in: the inputs given to forward training", macro_));
    line(fmt::format(" *   workspace              in: {}_workspace_floats(T, B) floats, as forward training left them",
                     name_));
    line(fmt::format(" *   output_adjoints        [{}_NUM_OUTPUTS] in: [T][B][n] each, the loss's gradient by the",
                     macro_));
    line(" *                          outputs; the array or an entry may be NULL for zero");
    line(fmt::format(" *   final_state_adjoints   [{}_NUM_STATES] in: [B][n] each, the gradient by the final states;",
                     macro_));
    line(" *                          the array or an entry may be NULL for zero");
    line(fmt::format(" *   input_adjoints         [{}_NUM_INPUTS] out: [T][B][n] each, the gradient by the inputs",
                     macro_));
    line(fmt::format(" *   initial_state_adjoints [{}_NUM_STATES] out: [B][n] each, by the initial states", macro_));
    line(fmt::format(" *   params, packed         in: as for forward training"));
    line(fmt::format(" *   gradients              [{}_NUM_PARAMS] in and out: the parameters' gradients, added to",
                     macro_));
    scratch_documentation("backward", 23);
    line(fmt::format("static inline int {}_backward(int64_t steps, int64_t batch, const float* const* inputs,", name_));
    line("    const float* workspace, const float* const* output_adjoints, const float* const* final_state_adjoints,");
    line("    float* const* input_adjoints, float* const* initial_state_adjoints, const float* const* params,");
    line("    const float* packed, float* const* gradients, float* scratch, int64_t threads) {");
    prelude("backward",
            {{"inputs", forward_.inputs.size()},
             {"(const float* const*)input_adjoints", forward_.inputs.size()},
             {"(const float* const*)initial_state_adjoints", forward_.states.size()},
             {"params", forward_.params.size()},
             {"(const float* const*)gradients", forward_.params.size()}},
            {"packed", "workspace"});
    // Missing adjoints read zeros: a row of the widest backward input
    // (row stride 0), or a [B][n] state.
    std::int64_t widest_input = 1, widest_state = 1;
    for (const Symbol& input : step.graph.inputs) widest_input = std::max(widest_input, length(input.shape));
    for (const Symbol& state : forward_.states) widest_state = std::max(widest_state, length(state.shape));
    line("  float* zeros = NULL;");
    line(fmt::format("  if (rnnc_any_null_(output_adjoints, {}) || rnnc_any_null_(final_state_adjoints, {})) {{",
                     forward_.outputs.size(), forward_.states.size()));
    line(fmt::format("    zeros = (float*)calloc((size_t)(batch * {} > {} ? batch * {} : {}), sizeof(float));",
                     widest_state, widest_input, widest_state, widest_input));
    line("    if (!zeros) {\n      free(owned_scratch);\n      return RNNC_ERROR_OUT_OF_MEMORY;\n    }\n  }");
    if (!forward_.states.empty()) {
      line(fmt::format("  float* state_rows = (float*)workspace + steps * batch * {};", workspace.saved_floats));
    }
    call("backward", cell_.layout.backward_arguments, "gradients");
    line("  free(zeros);\n  free(owned_scratch);\n  return RNNC_OK;\n}");
  }

  const AotCell& cell_;
  const Graph& forward_;
  std::string name_, macro_;
  std::string out_;
};

}  // namespace

std::string c_header(const AotCell& cell) { return HeaderWriter(cell).write(); }

}  // namespace rnnc
