// The GEMM emitter of codegen/gemm.h: pack W, then C (=, +=) A Wᵀ, JIT-compiled
// for the host, for baseline x86-64 (SSE2, no FMA) and for the host without
// AVX2 (AVX + FMA), and compared with a double-precision reference over many
// shapes, strides and row counts. Also: the schedule each target gets, that
// an AVX-512 target gets zmm code, and (timings printed, never asserted) the
// GFLOP/s of the generated GEMM against a plain triple loop compiled by the
// C++ compiler and against a per-row dot-product loop like the one
// sequence_codegen emits today.
//
// Hidden: [.gemm-tune] compares schedules (see the last test case).
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <limits>
#include <memory>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IR/Module.h>
#include <llvm/Support/raw_ostream.h>

#include "codegen/gemm.h"
#include "codegen/loops.h"
#include "codegen/target.h"

namespace {

// g(W, packed, A, M, C, a_stride, c_stride, a_k_stride): packs W [n][k] into
// `packed`, then C[m][j] (=, +=) Σ A[m][kk] W[j][kk] for m < M, A[m][kk] at
// A + m·a_stride + kk·a_k_stride. What the function does of the two is
// chosen when it is emitted.
using GemmFunction = void (*)(const float* w, float* packed, const float* a, std::int64_t m, float* c,
                              std::int64_t a_stride, std::int64_t c_stride, std::int64_t a_k_stride);

enum class Body { PackAndMultiply, PackOnly, MultiplyOnly };

struct JitModule {
  std::unique_ptr<llvm::orc::LLJIT> jit;
  rnnc::GemmSchedule schedule;
  std::string assembly;

  template <typename F>
  F lookup(const std::string& name) {
    auto symbol = jit->lookup(name);
    if (!symbol) FAIL(llvm::toString(symbol.takeError()));
    return symbol->toPtr<F>();
  }
};

llvm::Function* declare(llvm::Module& module, const std::string& name) {
  llvm::LLVMContext& context = module.getContext();
  llvm::Type* ptr = llvm::PointerType::getUnqual(context);
  llvm::Type* i64 = llvm::Type::getInt64Ty(context);
  auto* type =
      llvm::FunctionType::get(llvm::Type::getVoidTy(context), {ptr, ptr, ptr, i64, ptr, i64, i64, i64}, false);
  auto* f = llvm::Function::Create(type, llvm::Function::ExternalLinkage, name, module);
  for (unsigned i : {0u, 1u, 2u, 4u}) f->addParamAttr(i, llvm::Attribute::NoAlias);
  return f;
}

void add_gemm(llvm::Module& module, const std::string& name, std::int64_t n, std::int64_t k, bool accumulate,
              const rnnc::GemmSchedule& schedule, Body body) {
  llvm::Function* f = declare(module, name);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(module.getContext(), "entry", f));
  if (body != Body::MultiplyOnly) rnnc::emit_pack_weights(b, f, f->getArg(0), f->getArg(1), n, k, schedule);
  if (body != Body::PackOnly) {
    rnnc::emit_gemm(b, f, f->getArg(3), f->getArg(2), f->getArg(5), f->getArg(7), f->getArg(1), f->getArg(4),
                    f->getArg(6), n, k,
                    accumulate, schedule);
  }
  b.CreateRetVoid();
}

// Same signature; ignores `packed`: for m, for j, C[m][j] = Σ A[m][kk] W[j][kk]
// as a scalar reduction per output: the baseline the packed GEMM replaces.
void add_dot_rows(llvm::Module& module, const std::string& name, std::int64_t n, std::int64_t k) {
  llvm::Function* f = declare(module, name);
  llvm::LLVMContext& context = module.getContext();
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(context, "entry", f));
  llvm::Type* f32 = b.getFloatTy();
  llvm::Type* i64 = b.getInt64Ty();
  auto loop = [&](llvm::Value* count, const std::function<void(llvm::Value*)>& body) {
    rnnc::emit_loop(b, count, "loop", body);
  };
  llvm::FastMathFlags flags;
  flags.setAllowReassoc();
  flags.setAllowContract();
  loop(f->getArg(3), [&](llvm::Value* m) {
    llvm::Value* a = b.CreateGEP(f32, f->getArg(2), b.CreateMul(m, f->getArg(5)));
    llvm::Value* c = b.CreateGEP(f32, f->getArg(4), b.CreateMul(m, f->getArg(6)));
    loop(b.getInt64(n), [&](llvm::Value* j) {
      llvm::Value* w = b.CreateGEP(f32, f->getArg(0), b.CreateMul(j, b.getInt64(k)));
      llvm::BasicBlock* before = b.GetInsertBlock();
      llvm::BasicBlock* header = llvm::BasicBlock::Create(context, "dot", f);
      llvm::BasicBlock* done = llvm::BasicBlock::Create(context, "dot_done", f);
      b.CreateBr(header);
      b.SetInsertPoint(header);
      llvm::PHINode* kk = b.CreatePHI(i64, 2);
      llvm::PHINode* sum = b.CreatePHI(f32, 2);
      kk->addIncoming(b.getInt64(0), before);
      sum->addIncoming(llvm::ConstantFP::get(f32, 0.0), before);
      llvm::Value* product = b.CreateFMul(b.CreateLoad(f32, b.CreateGEP(f32, a, kk)),
                                          b.CreateLoad(f32, b.CreateGEP(f32, w, kk)));
      llvm::cast<llvm::Instruction>(product)->setFastMathFlags(flags);
      llvm::Value* next_sum = b.CreateFAdd(sum, product);
      llvm::cast<llvm::Instruction>(next_sum)->setFastMathFlags(flags);
      llvm::Value* next = b.CreateAdd(kk, b.getInt64(1));
      kk->addIncoming(next, header);
      sum->addIncoming(next_sum, header);
      b.CreateCondBr(b.CreateICmpSLT(next, b.getInt64(k)), header, done);
      b.SetInsertPoint(done);
      b.CreateStore(next_sum, b.CreateGEP(f32, c, j));
    });
  });
  b.CreateRetVoid();
}

// float peak(int64 iterations): 12 independent vector multiply-add chains,
// 24·width flops per iteration: the machine's FMA throughput.
void add_peak(llvm::Module& module, int width) {
  llvm::LLVMContext& context = module.getContext();
  llvm::IRBuilder<> b(context);
  auto* type = llvm::FunctionType::get(b.getFloatTy(), {b.getInt64Ty()}, false);
  auto* f = llvm::Function::Create(type, llvm::Function::ExternalLinkage, "peak", module);
  auto* entry = llvm::BasicBlock::Create(context, "entry", f);
  auto* body = llvm::BasicBlock::Create(context, "body", f);
  auto* done = llvm::BasicBlock::Create(context, "done", f);
  b.SetInsertPoint(entry);
  llvm::Type* vector = llvm::FixedVectorType::get(b.getFloatTy(), unsigned(width));
  llvm::Value* scale = llvm::ConstantFP::get(vector, 0.999);
  llvm::Value* shift = llvm::ConstantFP::get(vector, 0.001);
  b.CreateBr(body);
  b.SetInsertPoint(body);
  llvm::PHINode* i = b.CreatePHI(b.getInt64Ty(), 2);
  i->addIncoming(b.getInt64(0), entry);
  llvm::Function* fmuladd = llvm::Intrinsic::getDeclaration(&module, llvm::Intrinsic::fmuladd, {vector});
  std::vector<llvm::Value*> next;
  std::vector<llvm::PHINode*> chains;
  for (int c = 0; c < 12; ++c) {
    chains.push_back(b.CreatePHI(vector, 2));
    chains.back()->addIncoming(llvm::ConstantFP::get(vector, 0.01 * c), entry);
  }
  for (llvm::PHINode* chain : chains) next.push_back(b.CreateCall(fmuladd, {chain, scale, shift}));
  llvm::Value* i_next = b.CreateAdd(i, b.getInt64(1));
  i->addIncoming(i_next, body);
  for (int c = 0; c < 12; ++c) chains[std::size_t(c)]->addIncoming(next[std::size_t(c)], body);
  b.CreateCondBr(b.CreateICmpSLT(i_next, f->getArg(0)), body, done);
  b.SetInsertPoint(done);
  llvm::Value* total = next[0];
  for (int c = 1; c < 12; ++c) total = b.CreateFAdd(total, next[std::size_t(c)]);
  b.CreateRet(b.CreateExtractElement(total, std::uint64_t(0)));
}

// Builds a module with `populate`, optimizes it for `target`, and
// JIT-compiles it (no symbol generator: a libm call would fail to link).
JitModule compile(const rnnc::TargetOptions& target,
                  const std::function<void(llvm::Module&, const rnnc::GemmSchedule&)>& populate,
                  bool want_assembly = false, const rnnc::GemmSchedule* schedule = nullptr) {
  auto builder = rnnc::make_target_builder(target);
  if (!builder) FAIL(llvm::toString(builder.takeError()));
  auto machine = builder->createTargetMachine();
  if (!machine) FAIL(llvm::toString(machine.takeError()));
  JitModule result;
  result.schedule = schedule ? *schedule : rnnc::choose_gemm_schedule(**machine);

  auto context = std::make_unique<llvm::LLVMContext>();
  auto module = std::make_unique<llvm::Module>("gemm_test", *context);
  populate(*module, result.schedule);
  rnnc::prepare_module(*module, **machine);
  rnnc::verify_module(*module, "after code generation");
  rnnc::optimize_module(*module, **machine);
  rnnc::verify_module(*module, "after optimization");
  if (want_assembly) {
    llvm::SmallString<0> text;
    llvm::raw_svector_ostream stream(text);
    llvm::legacy::PassManager passes;
    if ((*machine)->addPassesToEmitFile(passes, stream, nullptr, llvm::CodeGenFileType::AssemblyFile)) {
      FAIL("the target cannot emit assembly");
    }
    passes.run(*module);
    result.assembly = text.str().str();
    return result;  // possibly not runnable here: not JIT-compiled
  }
  auto jit = llvm::orc::LLJITBuilder().setJITTargetMachineBuilder(std::move(*builder)).create();
  if (!jit) FAIL(llvm::toString(jit.takeError()));
  if (llvm::Error error = (*jit)->addIRModule(llvm::orc::ThreadSafeModule(std::move(module), std::move(context)))) {
    FAIL(llvm::toString(std::move(error)));
  }
  result.jit = std::move(*jit);
  return result;
}

std::string function_name(std::int64_t n, std::int64_t k, bool accumulate) {
  return "gemm_" + std::to_string(n) + "_" + std::to_string(k) + (accumulate ? "_acc" : "_set");
}

// Rows beyond one m_block and depths beyond one k_block included.
const std::vector<std::int64_t> kRows = {1, 2, 3, 5, 7, 16, 33, 130};
const std::vector<std::int64_t> kColumns = {1, 3, 7, 8, 17, 33, 64, 100};
const std::vector<std::int64_t> kDepths = {1, 3, 7, 17, 64, 129, 520};

std::vector<float> random_floats(std::size_t count, std::mt19937& random) {
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<float> values(count);
  for (float& value : values) value = uniform(random);
  return values;
}

// Runs every shape of the sweep through the functions of `module` and
// returns the number of wrong elements (the first few are reported).
int check_all_shapes(JitModule& module, const std::string& label) {
  std::mt19937 random(12345);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float sentinel = 777.0f;
  int failures = 0;
  for (std::int64_t n : kColumns) {
    for (std::int64_t k : kDepths) {
      std::vector<float> w = random_floats(std::size_t(n * k), random);
      std::int64_t packed_size = rnnc::packed_floats(n, k, module.schedule);
      REQUIRE(packed_size >= n * k);
      for (bool accumulate : {false, true}) {
        auto g = module.lookup<GemmFunction>(function_name(n, k, accumulate));
        for (std::int64_t m : kRows) {
          // Strides larger than the rows; the padding of A is NaN (must not
          // be read), that of C a sentinel (must not be written), and one
          // row beyond M of C too. Every other shape stores A transposed
          // (A[r][kk] at kk·(M + 2) + r), as the weight gradients read it.
          const bool transposed_a = (n + k + m) % 2 == 1;
          std::int64_t a_stride = transposed_a ? 1 : k + 3 + (m % 2) * 16, c_stride = n + 5;
          std::int64_t a_k_stride = transposed_a ? m + 2 : 1;
          std::vector<float> a(std::size_t(transposed_a ? k * (m + 2) : m * a_stride), nan);
          auto a_at = [&](std::int64_t r, std::int64_t kk) { return std::size_t(r * a_stride + kk * a_k_stride); };
          std::vector<float> c(std::size_t((m + 1) * c_stride), sentinel);
          std::vector<float> values = random_floats(std::size_t(m * (k + n)), random);
          for (std::int64_t r = 0; r < m; ++r) {
            for (std::int64_t kk = 0; kk < k; ++kk) a[a_at(r, kk)] = values[std::size_t(r * k + kk)];
            for (std::int64_t j = 0; j < n; ++j) {
              c[std::size_t(r * c_stride + j)] = accumulate ? values[std::size_t(m * k + r * n + j)] : nan;
            }
          }
          std::vector<float> c_before = c;
          std::vector<float> packed(std::size_t(packed_size + 64), sentinel);
          g(w.data(), packed.data(), a.data(), m, c.data(), a_stride, c_stride, a_k_stride);
          for (std::size_t i = std::size_t(packed_size); i < packed.size(); ++i) {
            if (packed[i] != sentinel && failures++ < 10) FAIL_CHECK(label << ": wrote past the packed buffer");
          }
          for (std::int64_t r = 0; r <= m; ++r) {
            for (std::int64_t j = 0; j < c_stride; ++j) {
              std::size_t i = std::size_t(r * c_stride + j);
              if (r == m || j >= n) {
                if (c[i] != sentinel && failures++ < 10) {
                  FAIL_CHECK(label << ": n=" << n << " k=" << k << " M=" << m << " wrote C[" << r << "][" << j << "]");
                }
                continue;
              }
              double exact = accumulate ? double(c_before[i]) : 0.0;
              double magnitude = accumulate ? std::fabs(exact) : 0.0;
              for (std::int64_t kk = 0; kk < k; ++kk) {
                double product = double(a[a_at(r, kk)]) * double(w[std::size_t(j * k + kk)]);
                exact += product;
                magnitude += std::fabs(product);
              }
              double error = std::fabs(double(c[i]) - exact);
              if (!(error <= 1e-5 * std::sqrt(double(k)) * magnitude + 1e-30) && failures++ < 10) {
                FAIL_CHECK(label << ": n=" << n << " k=" << k << " M=" << m << (accumulate ? " (+=)" : " (=)") << " C["
                                 << r << "][" << j << "] = " << c[i] << ", expected " << exact);
              }
            }
          }
        }
        // M = 0 and M < 0 do nothing.
        std::vector<float> c(8, sentinel);
        std::vector<float> packed(std::size_t(packed_size), 0.0f);
        g(w.data(), packed.data(), nullptr, 0, c.data(), k, n, 1);
        g(w.data(), packed.data(), nullptr, -3, c.data(), k, n, 1);
        for (float value : c) {
          if (value != sentinel && failures++ < 10) FAIL_CHECK(label << ": M <= 0 wrote C");
        }
      }
    }
  }
  return failures;
}

JitModule compile_sweep(const rnnc::TargetOptions& target, const rnnc::GemmSchedule* schedule = nullptr) {
  return compile(target, [](llvm::Module& module, const rnnc::GemmSchedule& schedule) {
    for (std::int64_t n : kColumns) {
      for (std::int64_t k : kDepths) {
        for (bool accumulate : {false, true}) {
          add_gemm(module, function_name(n, k, accumulate), n, k, accumulate, schedule, Body::PackAndMultiply);
        }
      }
    }
  }, false, schedule);
}

// The C++ compiler's plain loop, for comparison (built with the test's
// flags: -O3 for x86-64 without fast-math, so the float sum stays scalar).
[[gnu::noinline]] void naive_gemm(const float* w, const float* a, std::int64_t m, float* c, std::int64_t n,
                                  std::int64_t k, std::int64_t a_stride, std::int64_t c_stride) {
  for (std::int64_t r = 0; r < m; ++r) {
    for (std::int64_t j = 0; j < n; ++j) {
      float sum = 0.0f;
      for (std::int64_t kk = 0; kk < k; ++kk) sum += a[r * a_stride + kk] * w[j * k + kk];
      c[r * c_stride + j] = sum;
    }
  }
}

// The best of `runs` timings of f, in seconds.
double best_seconds(int runs, const std::function<void()>& f) {
  double best = 1e30;
  for (int run = 0; run < runs; ++run) {
    auto start = std::chrono::steady_clock::now();
    f();
    std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    best = std::min(best, elapsed.count());
  }
  return best;
}

}  // namespace

TEST_CASE("GEMM schedule follows the vector width", "[gemm]") {
  for (int width : {4, 8, 16}) {
    rnnc::GemmSchedule schedule = rnnc::gemm_schedule_for_width(width);
    CHECK(schedule.vector_width == width);
    CHECK(schedule.m_block % schedule.tile_rows == 0);
    CHECK(schedule.k_block >= 128);
  }
  CHECK(compile({"x86-64", ""}, [](llvm::Module&, const rnnc::GemmSchedule&) {}).schedule.vector_width == 4);
  CHECK(compile({"x86-64", "+avx,+fma"}, [](llvm::Module&, const rnnc::GemmSchedule&) {}).schedule.vector_width == 8);
  CHECK(compile({"skylake-avx512", ""}, [](llvm::Module&, const rnnc::GemmSchedule&) {}, true).schedule.vector_width ==
        16);
  // Packed sizes: full panels, plus a tail panel padded to whole vectors.
  rnnc::GemmSchedule avx = rnnc::gemm_schedule_for_width(8);
  CHECK(rnnc::packed_floats(16, 5, avx) == 16 * 5);
  CHECK(rnnc::packed_floats(17, 5, avx) == 32 * 5);
  CHECK(rnnc::packed_floats(3, 2, avx) == 16 * 2);
  CHECK(rnnc::packed_floats(33, 1, avx) == 48 * 1);
}

TEST_CASE("GEMM matches a double-precision reference on the host", "[gemm]") {
  JitModule module = compile_sweep({});
  INFO("host vector width " << module.schedule.vector_width);
  CHECK(check_all_shapes(module, "host") == 0);
}

TEST_CASE("GEMM matches a double-precision reference on baseline x86-64", "[gemm]") {
  JitModule module = compile_sweep({"x86-64", ""});
  REQUIRE(module.schedule.vector_width == 4);
  CHECK(check_all_shapes(module, "x86-64") == 0);
}

TEST_CASE("GEMM matches a double-precision reference without AVX2", "[gemm]") {
  if (!__builtin_cpu_supports("avx") || !__builtin_cpu_supports("fma")) return;  // needs AVX and FMA to run
  JitModule module = compile_sweep({"", "-avx2"});
  REQUIRE(module.schedule.vector_width == 8);
  CHECK(check_all_shapes(module, "host -avx2") == 0);
}

TEST_CASE("GEMM with other schedules", "[gemm]") {
  // Odd tiles, tiny blocks: every loop of the nest runs many times; MR 9
  // and 12 run several tail tiles of 4 rows.
  // (16 lanes run here as pairs of 8 when the host has no AVX-512.)
  for (rnnc::GemmSchedule schedule :
       {rnnc::GemmSchedule{8, 5, 1, 4, 16, 10}, rnnc::GemmSchedule{8, 1, 3, 2, 5, 1, 0},
        rnnc::GemmSchedule{4, 8, 3, 4, 128, 16}, rnnc::GemmSchedule{16, 8, 3, 3, 32, 16, 2, 8, 20},
        rnnc::GemmSchedule{16, 12, 2, 8, 32, 24}, rnnc::GemmSchedule{4, 9, 2, 1, 64, 18, 1, 128, 6}}) {
    JitModule module = compile_sweep({}, &schedule);
    std::ostringstream label;
    label << "host, " << schedule.tile_rows << "x" << schedule.tile_vectors << " k_block " << schedule.k_block
          << " m_block " << schedule.m_block << " below " << schedule.few_rows << " rows k_block "
          << schedule.few_rows_k_block;
    CHECK(check_all_shapes(module, label.str()) == 0);
  }
}

TEST_CASE("GEMM computes several column segments in one call", "[gemm]") {
  // What a block of hidden units asks for: columns [s·stride + first,
  // s·stride + first + n) of C for every segment s, from the same packed W;
  // no other column of C is touched.
  using SegmentFunction = void (*)(std::int64_t m, const float* a, const float* packed, float* c, std::int64_t n,
                                   std::int64_t segments, std::int64_t stride);
  // Sizes follow the panel width NR of the schedule compiled for this host:
  // segments of one panel, 2·NR apart, and C wide enough for the last segment
  // starting one panel in, plus a partial panel that must stay untouched.
  const std::int64_t k = 37, count = 4;
  std::int64_t nr = 0, stride = 0, columns = 0;
  JitModule module = compile({}, [&](llvm::Module& m, const rnnc::GemmSchedule& schedule) {
    nr = schedule.panel_width();
    stride = 2 * nr;
    columns = count * stride + nr + schedule.vector_width;
    llvm::LLVMContext& context = m.getContext();
    llvm::Type* ptr = llvm::PointerType::getUnqual(context);
    llvm::Type* i64 = llvm::Type::getInt64Ty(context);
    auto* type = llvm::FunctionType::get(llvm::Type::getVoidTy(context), {i64, ptr, ptr, ptr, i64, i64, i64}, false);
    auto* f = llvm::Function::Create(type, llvm::Function::ExternalLinkage, "segments", m);
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(context, "entry", f));
    // A row-major [M][k], C rows of `columns` floats.
    b.CreateCall(rnnc::gemm_function(m, schedule),
                 {f->getArg(0), f->getArg(1), b.getInt64(k), b.getInt64(1), f->getArg(2), f->getArg(3),
                  b.getInt64(columns), f->getArg(4), b.getInt64(k), f->getArg(5), f->getArg(6), b.getInt1(false)});
    b.CreateRetVoid();
  });
  REQUIRE(nr == module.schedule.panel_width());
  auto segments = module.lookup<SegmentFunction>("segments");
  std::mt19937 random(3);
  std::vector<float> w = random_floats(std::size_t(columns * k), random);
  std::vector<float> packed(std::size_t(rnnc::packed_floats(columns, k, module.schedule)));
  JitModule packer = compile({}, [&](llvm::Module& m, const rnnc::GemmSchedule& schedule) {
    add_gemm(m, "pack", columns, k, false, schedule, Body::PackOnly);
  });
  packer.lookup<GemmFunction>("pack")(w.data(), packed.data(), nullptr, 0, nullptr, 0, 0, 1);
  for (std::int64_t m : {std::int64_t(1), std::int64_t(7), std::int64_t(64)}) {
    for (std::int64_t first_panel : {std::int64_t(0), std::int64_t(1)}) {
      const std::int64_t n = nr;
      const std::int64_t first = first_panel * nr;
      REQUIRE(first + (count - 1) * stride + n <= columns);
      std::vector<float> a = random_floats(std::size_t(m * k), random);
      std::vector<float> c(std::size_t(m * columns), 777.0f);
      segments(m, a.data(), packed.data() + first * k, c.data() + first, n, count, stride);
      int wrong = 0;
      for (std::int64_t r = 0; r < m; ++r) {
        for (std::int64_t j = 0; j < columns; ++j) {
          std::int64_t in_segment = j - first;
          bool written = in_segment >= 0 && in_segment % stride < n && in_segment / stride < count;
          double expected = 777.0;
          if (written) {
            expected = 0.0;
            for (std::int64_t kk = 0; kk < k; ++kk) {
              expected += double(a[std::size_t(r * k + kk)]) * w[std::size_t(j * k + kk)];
            }
          }
          if (std::fabs(c[std::size_t(r * columns + j)] - expected) > 1e-4 && wrong++ < 5) {
            FAIL_CHECK("M=" << m << " first=" << first << " C[" << r << "][" << j
                            << "] = " << c[std::size_t(r * columns + j)] << ", expected " << expected);
          }
        }
      }
      CHECK(wrong == 0);
    }
  }
}

TEST_CASE("GEMM for AVX-512 uses 512-bit registers and fused multiply-adds", "[gemm]") {
  // Skylake-AVX512 prefers 256-bit vectors; the emitter must still get zmm.
  JitModule module = compile(
      {"skylake-avx512", ""},
      [](llvm::Module& m, const rnnc::GemmSchedule& schedule) {
        add_gemm(m, "gemm", 100, 300, false, schedule, Body::MultiplyOnly);
      },
      /*want_assembly=*/true);
  REQUIRE(module.schedule.vector_width == 16);
  bool zmm_fma = false;
  // The only calls are those of the test function to the shared GEMM:
  // direct, or (the JIT's large code model) through a register loaded with
  // its address; no other function's address is taken.
  std::istringstream lines(module.assembly);
  const std::regex function_address(R"(movabsq\s+\$([A-Za-z_][\w.]*))");
  for (std::string line; std::getline(lines, line);) {
    zmm_fma = zmm_fma || (line.find("vfmadd231ps") != std::string::npos && line.find("zmm") != std::string::npos);
    CAPTURE(line);
    std::smatch address;
    if (std::regex_search(line, address, function_address)) CHECK(address[1].str().rfind("rnnc.gemm", 0) == 0);
    if (line.find("call") != std::string::npos) {
      CHECK((line.find("rnnc.gemm") != std::string::npos || line.find("*%") != std::string::npos));
    }
  }
  CHECK(zmm_fma);
}

TEST_CASE("GEMM throughput against plain loops", "[gemm]") {
  const std::int64_t n = 2048, k = 512;
  JitModule module = compile({}, [&](llvm::Module& m, const rnnc::GemmSchedule& schedule) {
    add_gemm(m, "pack", n, k, false, schedule, Body::PackOnly);
    add_gemm(m, "gemm", n, k, false, schedule, Body::MultiplyOnly);
    add_dot_rows(m, "dot_rows", n, k);
    add_peak(m, schedule.vector_width);
  });
  auto pack = module.lookup<GemmFunction>("pack");
  auto gemm = module.lookup<GemmFunction>("gemm");
  auto dot_rows = module.lookup<GemmFunction>("dot_rows");
  auto peak = module.lookup<float (*)(std::int64_t)>("peak");

  std::mt19937 random(7);
  std::vector<float> w = random_floats(std::size_t(n * k), random);
  std::vector<float> packed(std::size_t(rnnc::packed_floats(n, k, module.schedule)));
  double pack_seconds = best_seconds(3, [&] { pack(w.data(), packed.data(), nullptr, 0, nullptr, 0, 0, 1); });

  // Short runs, many of them: the best is the least disturbed.
  const std::int64_t peak_iterations = 2'000'000;
  volatile float sink = 0;
  double peak_seconds = best_seconds(15, [&] { sink = peak(peak_iterations); });
  double peak_gflops = 24.0 * module.schedule.vector_width * double(peak_iterations) / peak_seconds * 1e-9;

  std::ostringstream table;
  char line[256];
  std::snprintf(line, sizeof line, "schedule: %d lanes, %d x %d vectors, k_block %lld, m_block %lld\n",
                module.schedule.vector_width, module.schedule.tile_rows, module.schedule.tile_vectors,
                static_cast<long long>(module.schedule.k_block), static_cast<long long>(module.schedule.m_block));
  table << line;
  std::snprintf(line, sizeof line, "FMA peak (JIT loop, 12 chains): %.1f GFLOP/s; packing W %lldx%lld: %.2f ms\n",
                peak_gflops, static_cast<long long>(n), static_cast<long long>(k), pack_seconds * 1e3);
  table << line;
  for (std::int64_t m : {std::int64_t(64), std::int64_t(50 * 64)}) {
    std::vector<float> a = random_floats(std::size_t(m * k), random);
    std::vector<float> c(std::size_t(m * n)), c_naive(std::size_t(m * n)), c_dot(std::size_t(m * n));
    double flops = 2.0 * double(m) * double(n) * double(k);
    double generated =
        best_seconds(m < 1000 ? 15 : 5, [&] { gemm(nullptr, packed.data(), a.data(), m, c.data(), k, n, 1); });
    // The plain loops are slow: they are timed on the first 64 rows (their
    // rate does not depend on M: each row streams all of W).
    std::int64_t m_plain = std::min<std::int64_t>(m, 64);
    double plain_flops = 2.0 * double(m_plain) * double(n) * double(k);
    double naive = best_seconds(3, [&] { naive_gemm(w.data(), a.data(), m_plain, c_naive.data(), n, k, k, n); });
    double dot = best_seconds(5, [&] { dot_rows(w.data(), nullptr, a.data(), m_plain, c_dot.data(), k, n, 1); });
    double gemm_rate = flops / generated * 1e-9, naive_rate = plain_flops / naive * 1e-9;
    double dot_rate = plain_flops / dot * 1e-9;
    std::snprintf(line, sizeof line,
                  "M=%lld n=%lld k=%lld: generated GEMM %.1f GFLOP/s (%.0f%% of peak) | g++ -O3 triple loop %.2f "
                  "GFLOP/s (x%.1f) | JIT per-row dot loop %.1f GFLOP/s (x%.1f)\n",
                  static_cast<long long>(m), static_cast<long long>(n), static_cast<long long>(k), gemm_rate,
                  100.0 * gemm_rate / peak_gflops, naive_rate, gemm_rate / naive_rate, dot_rate, gemm_rate / dot_rate);
    table << line;
    // The three agree.
    for (std::int64_t i = 0; i < m_plain * n; i += 997) {
      CHECK(c[std::size_t(i)] == Approx(c_naive[std::size_t(i)]).margin(1e-3));
      CHECK(c[std::size_t(i)] == Approx(c_dot[std::size_t(i)]).margin(1e-3));
    }
  }
  WARN(table.str());
}

// Hidden: GFLOP/s of other schedules, for tuning on a new machine (run it
// pinned: taskset -c 1 test_gemm "[.gemm-tune]"). GEMM_SCHEDULES lists
// "width,MR,tile_vectors,row_panels,k_block,m_block,prefetch_panels,few_rows_k_block,few_rows;...";
// GEMM_N, GEMM_K set the shape, GEMM_ROWS the row counts ("1,16,64,3200").
TEST_CASE("GEMM schedules compared", "[.gemm-tune]") {
  auto env = [](const char* name, std::int64_t fallback) {
    const char* value = std::getenv(name);
    return value ? std::atoll(value) : fallback;
  };
  const char* schedules = std::getenv("GEMM_SCHEDULES");
  std::istringstream list(schedules ? schedules
                                    : "8,6,2,4,512,144,1,512,32;8,4,3,4,256,144,1,256,32;16,6,4,4,128,144,1,128,32;"
                                      "16,12,2,8,512,72,1,256,32");
  const std::int64_t n = env("GEMM_N", 2048), k = env("GEMM_K", 512);
  std::vector<std::int64_t> row_counts;
  const char* rows_text = std::getenv("GEMM_ROWS");
  std::istringstream rows_list(rows_text ? rows_text : "1,16,64,3200");
  for (std::string rows; std::getline(rows_list, rows, ',');) row_counts.push_back(std::atoll(rows.c_str()));
  std::ostringstream table;
  for (std::string item; std::getline(list, item, ';');) {
    long long width, mr, vectors, row_panels, kc, mc, prefetch, few_kc, few_rows;
    if (std::sscanf(item.c_str(), "%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld", &width, &mr, &vectors, &row_panels,
                    &kc, &mc, &prefetch, &few_kc, &few_rows) != 9) {
      continue;
    }
    rnnc::GemmSchedule schedule{int(width), int(mr), int(vectors), int(row_panels), kc, mc, int(prefetch), few_kc,
                                int(few_rows)};
    JitModule module = compile({}, [&](llvm::Module& m, const rnnc::GemmSchedule& s) {
      add_gemm(m, "pack", n, k, false, s, Body::PackOnly);
      add_gemm(m, "gemm", n, k, false, s, Body::MultiplyOnly);
    }, false, &schedule);
    auto pack = module.lookup<GemmFunction>("pack");
    auto gemm = module.lookup<GemmFunction>("gemm");
    std::mt19937 random(7);
    std::vector<float> w = random_floats(std::size_t(n * k), random);
    std::vector<float> packed(std::size_t(rnnc::packed_floats(n, k, schedule)));
    pack(w.data(), packed.data(), nullptr, 0, nullptr, 0, 0, 1);
    table << item << ":";
    for (std::int64_t m : row_counts) {
      std::vector<float> a = random_floats(std::size_t(m * k), random);
      std::vector<float> c(std::size_t(m * n));
      double seconds = best_seconds(7, [&] { gemm(nullptr, packed.data(), a.data(), m, c.data(), k, n, 1); });
      char line[64];
      std::snprintf(line, sizeof line, "  M=%lld %.1f", static_cast<long long>(m),
                    2.0 * double(m) * double(n) * double(k) / seconds * 1e-9);
      table << line;
    }
    table << " GFLOP/s\n";
  }
  WARN(table.str());
}
