// The vector math of codegen/vector_math.h: each function and accuracy is
// JIT-compiled into a vector loop `apply(in, out, n)` and swept against
// double-precision libm, on strided bit patterns over its domain and on
// special values, for the host CPU and for baseline x86-64 (no FMA), and
// with denormals flushed as the kernels run them. The optimized loop must
// compute on vectors and call nothing.
//
// Hidden cases: [.math-exhaustive] sweeps all 2^32 floats (minutes);
// [.math-bench] times the loops against scalar libm.
#include <catch2/catch.hpp>

#include <immintrin.h>

#include <algorithm>
#include <bit>
#include <cfloat>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/Support/raw_ostream.h>

#include "codegen/gemm.h"
#include "codegen/loops.h"
#include "codegen/target.h"
#include "codegen/vector_math.h"

namespace {

using rnnc::MathAccuracy;

enum class Function { Exp, Log, Log1p, Tanh, Sigmoid, Softplus };

double sigmoid(double x) { return 1 / (1 + std::exp(-x)); }
double softplus(double x) { return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)); }

// The worst error a function may have: `ulp` where the exact result is a
// normal float, `absolute` where |exact result| <= 1.
struct Bounds {
  double ulp;
  double absolute;
};

struct FunctionInfo {
  Function function;
  const char* name;
  double (*reference)(double);
  float low, high;  // the strided sweep
  Bounds exact, fast;
};

const std::vector<FunctionInfo>& functions() {
  static const std::vector<FunctionInfo> table = {
      // Bounds: the worst over all 2^32 floats on an AVX2+FMA host (see
      // vector_math.h), with a margin for targets without FMA.
      {Function::Exp, "exp", [](double x) { return std::exp(x); }, -110.0f, 95.0f, {1.25, 6e-8}, {2.6, 1.5e-7}},
      {Function::Log, "log", [](double x) { return std::log(x); }, 0.0f, FLT_MAX, {1.0, 6e-8}, {26, 6e-7}},
      {Function::Log1p, "log1p", [](double x) { return std::log1p(x); }, -1.0f, FLT_MAX, {1.6, 6e-8}, {26, 6.5e-7}},
      {Function::Tanh, "tanh", [](double x) { return std::tanh(x); }, -20.0f, 20.0f, {1.75, 1e-7}, {6.5, 4e-7}},
      {Function::Sigmoid, "sigmoid", sigmoid, -110.0f, 110.0f, {2.25, 8e-8}, {4, 1.1e-7}},
      {Function::Softplus, "softplus", softplus, -110.0f, 110.0f, {2, 1.1e-7}, {27, 6e-7}},
  };
  return table;
}

const char* accuracy_name(MathAccuracy accuracy) { return accuracy == MathAccuracy::Exact ? "Exact" : "Fast"; }

llvm::Value* emit(Function function, llvm::IRBuilder<>& b, llvm::Value* x, MathAccuracy accuracy) {
  switch (function) {
    case Function::Exp: return rnnc::emit_exp(b, x, accuracy);
    case Function::Log: return rnnc::emit_log(b, x, accuracy);
    case Function::Log1p: return rnnc::emit_log1p(b, x, accuracy);
    case Function::Tanh: return rnnc::emit_tanh(b, x, accuracy);
    case Function::Sigmoid: return rnnc::emit_sigmoid(b, x, accuracy);
    case Function::Softplus: return rnnc::emit_softplus(b, x, accuracy);
  }
  return nullptr;
}

// ---- JIT-compiled loops --------------------------------------------------------

using Apply = void (*)(const float* in, float* out, std::int64_t n);

struct Kernel {
  std::unique_ptr<llvm::orc::LLJIT> jit;
  Apply apply = nullptr;
  std::string optimized_ir;
};

// for (i = 0; i < n; ++i) out[i] = f(in[i]), optimized at O3 for `target`.
Kernel compile(Function function, MathAccuracy accuracy, const rnnc::TargetOptions& target) {
  auto builder = rnnc::make_target_builder(target);
  if (!builder) FAIL(llvm::toString(builder.takeError()));
  auto machine = builder->createTargetMachine();
  if (!machine) FAIL(llvm::toString(machine.takeError()));

  auto context = std::make_unique<llvm::LLVMContext>();
  auto module = std::make_unique<llvm::Module>("vector_math_test", *context);
  llvm::IRBuilder<> b(*context);
  llvm::Type* f32 = b.getFloatTy();
  llvm::Type* i64 = b.getInt64Ty();
  auto* type = llvm::FunctionType::get(b.getVoidTy(), {b.getPtrTy(), b.getPtrTy(), i64}, false);
  auto* apply = llvm::Function::Create(type, llvm::Function::ExternalLinkage, "apply", *module);
  apply->addParamAttr(0, llvm::Attribute::NoAlias);
  apply->addParamAttr(1, llvm::Attribute::NoAlias);
  llvm::Value* in = apply->getArg(0);
  llvm::Value* out = apply->getArg(1);
  llvm::Value* n = apply->getArg(2);
  // In vectors of the width the kernels use, a masked one for the last
  // elements, as the kernels' pointwise loops (codegen/loops.h).
  const int width = rnnc::choose_gemm_schedule(**machine).vector_width;
  auto* vector = llvm::FixedVectorType::get(f32, unsigned(width));
  b.SetInsertPoint(llvm::BasicBlock::Create(*context, "entry", apply));
  rnnc::emit_vector_loop(b, n, width, "apply", [&](llvm::Value* first, llvm::Value* mask) {
    llvm::Value* from = b.CreateGEP(f32, in, first);
    llvm::Value* to = b.CreateGEP(f32, out, first);
    llvm::Value* x = nullptr;
    if (mask) {
      x = b.CreateMaskedLoad(vector, from, llvm::Align(4), mask, llvm::Constant::getNullValue(vector));
    } else {
      x = b.CreateAlignedLoad(vector, from, llvm::Align(4));
    }
    llvm::Value* y = emit(function, b, x, accuracy);
    if (mask) {
      b.CreateMaskedStore(y, to, llvm::Align(4), mask);
    } else {
      b.CreateAlignedStore(y, to, llvm::Align(4));
    }
  });
  b.CreateRetVoid();

  rnnc::prepare_module(*module, **machine);
  rnnc::verify_module(*module, "after code generation");
  rnnc::optimize_module(*module, **machine);
  rnnc::verify_module(*module, "after optimization");
  Kernel kernel;
  llvm::raw_string_ostream(kernel.optimized_ir) << *module;

  // No symbol generator: a call to libm would fail to link here.
  auto jit = llvm::orc::LLJITBuilder().setJITTargetMachineBuilder(std::move(*builder)).create();
  if (!jit) FAIL(llvm::toString(jit.takeError()));
  if (llvm::Error error = (*jit)->addIRModule(llvm::orc::ThreadSafeModule(std::move(module), std::move(context)))) {
    FAIL(llvm::toString(std::move(error)));
  }
  auto symbol = (*jit)->lookup("apply");
  if (!symbol) FAIL(llvm::toString(symbol.takeError()));
  kernel.apply = symbol->toPtr<Apply>();
  kernel.jit = std::move(*jit);
  return kernel;
}

// Runs with the flush-to-zero and denormals-are-zero bits set, as the
// generated sequence kernels do.
struct FlushDenormals {
  FlushDenormals() : saved(_mm_getcsr()) { _mm_setcsr(saved | 0x8040); }
  ~FlushDenormals() { _mm_setcsr(saved); }
  unsigned saved;
};

// ---- inputs ----------------------------------------------------------------------

// Floats in increasing order as consecutive integers (-0 and +0 share 0).
std::int64_t order(float x) {
  auto bits = std::bit_cast<std::uint32_t>(x);
  return (bits & 0x80000000u) ? -std::int64_t(bits & 0x7FFFFFFFu) : std::int64_t(bits);
}

float from_order(std::int64_t o) {
  return o < 0 ? std::bit_cast<float>(std::uint32_t(-o) | 0x80000000u) : std::bit_cast<float>(std::uint32_t(o));
}

// About `count` floats of [low, high], evenly spaced in bit pattern. The
// stride is odd so that every mantissa bit varies.
void add_strided(std::vector<float>& inputs, float low, float high, std::int64_t count) {
  std::int64_t stride = std::max<std::int64_t>(1, (order(high) - order(low)) / count) | 1;
  for (std::int64_t o = order(low); o <= order(high); o += stride) inputs.push_back(from_order(o));
  inputs.push_back(high);
}

// Zeros, infinities, NaNs, extremes, denormals, the overflow and underflow
// thresholds, the algorithms' own break points, and their neighbours.
std::vector<float> special_values() {
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> centres = {
      0.0f, 1.0f, 0.5f, 2.0f, 1e-10f, 1e-30f, 1e10f, 1e30f, FLT_MAX, FLT_MIN,
      std::numeric_limits<float>::denorm_min(), 0x1.fffffcp-127f,  // denormals
      88.7228394f, 88.72284f, 89.0f, 95.0f,                       // e^x overflows
      87.3365479f, 103.278931f, 103.972076f, 104.0f, 110.0f, 150.0f,  // e^-x underflows
      0.625f, 9.0f, 7.90531111f, 16.6355324f, 20.0f,              // tanh, softplus break points
      1.41421354f, 0.707106769f, 0.99999994f, 1.00000012f,      // log's split of the mantissa
      0.346573591f, 0.693147182f,                                 // exp's reduction
  };
  std::vector<float> values = {inf, -inf, std::numeric_limits<float>::quiet_NaN(),
                               -std::numeric_limits<float>::quiet_NaN(), -0.0f};
  for (float centre : centres) {
    for (float c : {centre, -centre}) {
      values.push_back(c);
      values.push_back(std::nextafter(c, inf));
      values.push_back(std::nextafter(c, -inf));
    }
  }
  return values;
}

std::vector<float> sweep_inputs(const FunctionInfo& info, std::int64_t count) {
  std::vector<float> inputs;
  add_strided(inputs, info.low, info.high, count);
  for (float x : special_values()) inputs.push_back(x);
  return inputs;
}

// ---- error measurement -------------------------------------------------------------

// The unit in the last place of a float near `exact`, for the exact value's
// own binade (denormal spacing below 2^-126).
double ulp(double exact) {
  int exponent = std::max(std::ilogb(exact), -126);
  return std::ldexp(1.0, exponent - 23);
}

struct Stats {
  double worst_ulp = 0, worst_absolute = 0;
  float worst_ulp_at = 0, worst_absolute_at = 0;
  std::int64_t points = 0;
  std::vector<std::string> failures;  // the first few
  std::int64_t failure_count = 0;

  void merge(const Stats& other) {
    if (other.worst_ulp > worst_ulp) worst_ulp = other.worst_ulp, worst_ulp_at = other.worst_ulp_at;
    if (other.worst_absolute > worst_absolute) worst_absolute = other.worst_absolute, worst_absolute_at = other.worst_absolute_at;
    points += other.points;
    failure_count += other.failure_count;
    for (const std::string& f : other.failures) {
      if (failures.size() < 8) failures.push_back(f);
    }
  }
};

// Compares got = f(x) with the double reference `exact`. NaN and infinite
// results must match; tiny results (|exact| < 2^-126, flushed or denormal)
// must be within 2^-126, zeros exact; others are measured in ulp.
void check(Stats& stats, const FunctionInfo& info, const Bounds& bounds, float x, double exact, float got) {
  ++stats.points;
  auto fail = [&](const char* why) {
    ++stats.failure_count;
    if (stats.failures.size() < 8) {
      char line[200];
      std::snprintf(line, sizeof line, "%s(%a = %.9g) = %.9g (%a), expected %.17g: %s", info.name, double(x), double(x),
                    double(got), double(got), exact, why);
      stats.failures.push_back(line);
    }
  };
  if (std::isnan(exact)) {
    if (!std::isnan(got)) fail("expected NaN");
    return;
  }
  auto rounded = float(exact);
  if (std::isinf(rounded)) {
    if (got != rounded) fail("expected an infinity");
    return;
  }
  if (std::isnan(got) || std::isinf(got)) return fail("not finite");
  if ((info.function == Function::Tanh && std::fabs(got) > 1) ||
      (info.function == Function::Sigmoid && (got < 0 || got > 1))) {
    return fail("out of range");
  }
  double error = std::fabs(double(got) - exact);
  if (std::fabs(exact) <= 1) {
    if (error > stats.worst_absolute) stats.worst_absolute = error, stats.worst_absolute_at = x;
    if (error > bounds.absolute) fail("absolute error over the bound");
  }
  if (exact == 0) {
    if (got != 0) fail("expected 0");
    return;
  }
  if (std::fabs(exact) < FLT_MIN) {
    if (error > FLT_MIN) fail("tiny result off by more than 2^-126");
    return;
  }
  double ulps = error / ulp(exact);
  if (ulps > stats.worst_ulp) stats.worst_ulp = ulps, stats.worst_ulp_at = x;
  if (ulps > bounds.ulp) fail("ulp error over the bound");
}

// Under DAZ a denormal input reads as a zero of its sign.
float as_read(float x, bool flush) {
  return flush && std::fpclassify(x) == FP_SUBNORMAL ? std::copysign(0.0f, x) : x;
}

Stats measure(const FunctionInfo& info, MathAccuracy accuracy, const Kernel& kernel, const std::vector<float>& inputs,
              const std::vector<double>& exact, bool flush) {
  std::vector<float> got(inputs.size());
  {
    std::unique_ptr<FlushDenormals> ftz;
    if (flush) ftz = std::make_unique<FlushDenormals>();
    kernel.apply(inputs.data(), got.data(), std::int64_t(inputs.size()));
  }
  Stats stats;
  const Bounds& bounds = accuracy == MathAccuracy::Exact ? info.exact : info.fast;
  for (std::size_t k = 0; k < inputs.size(); ++k) check(stats, info, bounds, inputs[k], exact[k], got[k]);
  return stats;
}

std::vector<double> reference(const FunctionInfo& info, const std::vector<float>& inputs, bool flush) {
  std::vector<double> exact(inputs.size());
  for (std::size_t k = 0; k < inputs.size(); ++k) exact[k] = info.reference(as_read(inputs[k], flush));
  return exact;
}

std::string row(const char* function, const char* accuracy, const char* target, const Stats& stats) {
  char line[240];
  std::snprintf(line, sizeof line, "%-9s %-6s %-8s %6.3f ulp (x = %-14.9g) abs %.3g (x = %.9g)  [%lld points]\n",
                function, accuracy, target, stats.worst_ulp, double(stats.worst_ulp_at), stats.worst_absolute,
                double(stats.worst_absolute_at), static_cast<long long>(stats.points));
  return line;
}

void require_no_failures(const Stats& stats) {
  for (const std::string& failure : stats.failures) UNSCOPED_INFO(failure);
  CHECK(stats.failure_count == 0);
}

struct Target {
  const char* name;
  rnnc::TargetOptions options;
};

}  // namespace

TEST_CASE("vector math matches double-precision libm", "[math]") {
  const Target targets[] = {{"host", {}}, {"x86-64", {"x86-64", ""}}};
  std::string table = "worst errors (strided sweep + special values; ulp where the result is normal, abs where |f| <= 1)\n";
  for (const FunctionInfo& info : functions()) {
    std::vector<float> inputs = sweep_inputs(info, 1'000'000);
    std::vector<double> exact = reference(info, inputs, false);
    for (MathAccuracy accuracy : {MathAccuracy::Exact, MathAccuracy::Fast}) {
      for (const Target& target : targets) {
        CAPTURE(info.name, accuracy_name(accuracy), target.name);
        Kernel kernel = compile(info.function, accuracy, target.options);
        Stats stats = measure(info, accuracy, kernel, inputs, exact, false);
        table += row(info.name, accuracy_name(accuracy), target.name, stats);
        require_no_failures(stats);
      }
    }
  }
  WARN(table);
}

TEST_CASE("vector math with denormals flushed, as in the kernels", "[math]") {
  std::string table = "worst errors under FTZ/DAZ (host)\n";
  for (const FunctionInfo& info : functions()) {
    std::vector<float> inputs = sweep_inputs(info, 200'000);
    std::vector<double> exact = reference(info, inputs, true);
    for (MathAccuracy accuracy : {MathAccuracy::Exact, MathAccuracy::Fast}) {
      CAPTURE(info.name, accuracy_name(accuracy));
      Kernel kernel = compile(info.function, accuracy, {});
      Stats stats = measure(info, accuracy, kernel, inputs, exact, true);
      table += row(info.name, accuracy_name(accuracy), "host+ftz", stats);
      require_no_failures(stats);
    }
  }
  WARN(table);
}

TEST_CASE("vector math special values", "[math]") {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  struct Case {
    Function function;
    float x, expected;
  };
  const Case cases[] = {
      {Function::Exp, 0.0f, 1.0f},        {Function::Exp, -0.0f, 1.0f},      {Function::Exp, inf, inf},
      {Function::Exp, -inf, 0.0f},        {Function::Exp, 89.0f, inf},       {Function::Exp, -104.0f, 0.0f},
      {Function::Exp, FLT_MAX, inf},      {Function::Exp, -FLT_MAX, 0.0f},   {Function::Log, 1.0f, 0.0f},
      {Function::Log, 0.0f, -inf},        {Function::Log, -0.0f, -inf},      {Function::Log, inf, inf},
      {Function::Log, -1.0f, nan},        {Function::Log, -inf, nan},        {Function::Log1p, 0.0f, 0.0f},
      {Function::Log1p, -1.0f, -inf},     {Function::Log1p, -2.0f, nan},     {Function::Log1p, inf, inf},
      {Function::Log1p, -inf, nan},       {Function::Tanh, 0.0f, 0.0f},      {Function::Tanh, inf, 1.0f},
      {Function::Tanh, -inf, -1.0f},      {Function::Tanh, 20.0f, 1.0f},     {Function::Tanh, -20.0f, -1.0f},
      {Function::Sigmoid, 0.0f, 0.5f},    {Function::Sigmoid, inf, 1.0f},    {Function::Sigmoid, -inf, 0.0f},
      {Function::Sigmoid, 20.0f, 1.0f},   {Function::Softplus, inf, inf},    {Function::Softplus, -inf, 0.0f},
      {Function::Softplus, 100.0f, 100.0f}, {Function::Softplus, -200.0f, 0.0f},
  };
  for (MathAccuracy accuracy : {MathAccuracy::Exact, MathAccuracy::Fast}) {
    for (const FunctionInfo& info : functions()) {
      Kernel kernel = compile(info.function, accuracy, {});
      for (const Case& c : cases) {
        if (c.function != info.function) continue;
        float got = 0;
        kernel.apply(&c.x, &got, 1);
        CAPTURE(info.name, accuracy_name(accuracy), c.x, got, c.expected);
        if (std::isnan(c.expected)) {
          CHECK(std::isnan(got));
        } else {
          CHECK(got == c.expected);
        }
      }
      // NaN in, NaN out; odd functions keep the sign of zero.
      for (float x : {nan, -nan}) {
        float got = 0;
        kernel.apply(&x, &got, 1);
        CAPTURE(info.name, accuracy_name(accuracy));
        CHECK(std::isnan(got));
      }
      if (info.function == Function::Tanh) {
        float x = -0.0f, got = 0;
        kernel.apply(&x, &got, 1);
        CHECK(std::signbit(got));
      }
    }
  }
}

TEST_CASE("vector math computes on wide vectors and calls nothing", "[math]") {
  // Lines of the optimized IR that compute on vectors of at least 8 floats.
  const std::regex wide(R"(= (fmul|fadd|fdiv|fsub)( \w+)* <(8|16|32|64) x float>)");
  const std::regex call(R"(call [^@]*@([\w.]+))");
  for (const char* cpu : {"haswell", "skylake-avx512", ""}) {
    for (const FunctionInfo& info : functions()) {
      for (MathAccuracy accuracy : {MathAccuracy::Exact, MathAccuracy::Fast}) {
        CAPTURE(cpu, info.name, accuracy_name(accuracy));
        Kernel kernel = compile(info.function, accuracy, {cpu, ""});
        const std::string& ir = kernel.optimized_ir;
        // RNNC_MATH_DUMP=dir writes the optimized loops there, for llc/llvm-mca.
        if (const char* dump = std::getenv("RNNC_MATH_DUMP")) {
          std::string path = std::string(dump) + "/" + info.name + "_" + accuracy_name(accuracy) + "_" +
                             (*cpu ? cpu : "host") + ".ll";
          if (std::FILE* file = std::fopen(path.c_str(), "w")) {
            std::fputs(ir.c_str(), file);
            std::fclose(file);
          }
        }
        if (*cpu) CHECK(std::regex_search(ir, wide));
        // The host may lack AVX: then at least 4 lanes.
        CHECK(ir.find(" x float>") != std::string::npos);
        for (auto it = std::sregex_iterator(ir.begin(), ir.end(), call); it != std::sregex_iterator(); ++it) {
          std::string callee = (*it)[1];
          CAPTURE(callee);
          // Only the loop's masked loads and stores and bit-manipulating
          // intrinsics LLVM may form from selects and masks (fabs, copysign,
          // min/max) are allowed.
          bool allowed = false;
          for (const char* prefix : {"llvm.masked.", "llvm.fabs", "llvm.copysign", "llvm.minnum", "llvm.maxnum",
                                     "llvm.smin", "llvm.smax", "llvm.fmuladd", "llvm.fma", "llvm.is.fpclass"}) {
            allowed = allowed || callee.rfind(prefix, 0) == 0;
          }
          CHECK(allowed);
        }
      }
    }
  }
}

TEST_CASE("vector math over all 2^32 floats", "[.math-exhaustive]") {
  std::string table = "worst errors over all 2^32 floats (host)\n";
  for (const FunctionInfo& info : functions()) {
    Kernel exact_kernel = compile(info.function, MathAccuracy::Exact, {});
    Kernel fast_kernel = compile(info.function, MathAccuracy::Fast, {});
    Stats exact_stats, fast_stats;
    constexpr std::uint64_t chunk = 1u << 22;
    std::vector<float> inputs(chunk), got(chunk);
    std::vector<double> exact(chunk);
    for (std::uint64_t start = 0; start < (std::uint64_t(1) << 32); start += chunk) {
      for (std::uint64_t k = 0; k < chunk; ++k) {
        inputs[k] = std::bit_cast<float>(std::uint32_t(start + k));
        exact[k] = info.reference(inputs[k]);
      }
      exact_stats.merge(measure(info, MathAccuracy::Exact, exact_kernel, inputs, exact, false));
      fast_stats.merge(measure(info, MathAccuracy::Fast, fast_kernel, inputs, exact, false));
    }
    table += row(info.name, "Exact", "host", exact_stats);
    table += row(info.name, "Fast", "host", fast_stats);
    std::fputs(row(info.name, "Exact", "host", exact_stats).c_str(), stdout);
    std::fputs(row(info.name, "Fast", "host", fast_stats).c_str(), stdout);
    std::fflush(stdout);
    require_no_failures(exact_stats);
    require_no_failures(fast_stats);
  }
  WARN(table);
}

namespace {

template <typename F>
double nanoseconds_per_element(F&& f, const std::vector<float>& in, std::vector<float>& out) {
  double best = 1e30;
  for (int trial = 0; trial < 7; ++trial) {
    constexpr int repeats = 200;
    auto start = std::chrono::steady_clock::now();
    for (int r = 0; r < repeats; ++r) f(in.data(), out.data(), std::int64_t(in.size()));
    std::chrono::duration<double, std::nano> elapsed = std::chrono::steady_clock::now() - start;
    best = std::min(best, elapsed.count() / (double(repeats) * double(in.size())));
  }
  return best;
}

}  // namespace

TEST_CASE("vector math throughput", "[.math-bench]") {
  // 4096 floats in and out stay in L1.
  std::vector<float> in(4096), out(4096);
  for (std::size_t k = 0; k < in.size(); ++k) in[k] = -8.0f + 16.0f * float(k) / float(in.size());
  std::vector<float> positive(in.size());
  for (std::size_t k = 0; k < in.size(); ++k) positive[k] = std::fabs(in[k]) + 0.01f;
  std::string table = "ns per element, host, 4096-float arrays in L1 (best of 7)\n";
  for (const FunctionInfo& info : functions()) {
    const std::vector<float>& x = info.function == Function::Log ? positive : in;
    char line[200];
    double ns[2];
    for (MathAccuracy accuracy : {MathAccuracy::Exact, MathAccuracy::Fast}) {
      Kernel kernel = compile(info.function, accuracy, {});
      ns[accuracy == MathAccuracy::Fast] = nanoseconds_per_element(kernel.apply, x, out);
    }
    auto scalar = [&](const float* a, float* b, std::int64_t n) {
      for (std::int64_t k = 0; k < n; ++k) {
        switch (info.function) {
          case Function::Exp: b[k] = std::exp(a[k]); break;
          case Function::Log: b[k] = std::log(a[k]); break;
          case Function::Log1p: b[k] = std::log1p(a[k]); break;
          case Function::Tanh: b[k] = std::tanh(a[k]); break;
          case Function::Sigmoid: b[k] = 1.0f / (1.0f + std::exp(-a[k])); break;
          case Function::Softplus: b[k] = std::max(a[k], 0.0f) + std::log1p(std::exp(-std::fabs(a[k]))); break;
        }
      }
    };
    double scalar_ns = nanoseconds_per_element(scalar, x, out);
    std::snprintf(line, sizeof line, "%-9s Exact %.3f  Fast %.3f  scalar libm (float) %.3f\n", info.name, ns[0], ns[1],
                  scalar_ns);
    table += line;
  }
  WARN(table);
}
