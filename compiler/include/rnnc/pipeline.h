// The compiler's stages in order, from the text of a cell to callable
// kernels or an object file: pipeline.cpp runs them all in one function.
// The machine-code half is behind KernelBackend (codegen/llvm_backend.h
// implements it through LLVM), so this header includes no LLVM header and
// the front end runs without one.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "rnnc/cpu_features.h"
#include "rnnc/diagnostics.h"
#include "rnnc/expected.h"
#include "rnnc/frontend.h"
#include "rnnc/gemm_schedule.h"
#include "rnnc/ir.h"
#include "rnnc/kernel_layout.h"

namespace rnnc {

// The stages a watcher can stop or look at, in pipeline order (as the
// -emit= of MLIR's Toy): the checked syntax tree, the bound IR, the derived
// backward step, the LLVM IR before and after optimization, the assembly.
enum class Stage { Ast, Ir, Grad, Llvm, LlvmOpt, Asm };

// Called after each stage with a function that prints it (printing costs
// more than many stages: it runs only when called); returns true to stop
// the pipeline there.
using StageHook = std::function<bool(Stage stage, const std::function<std::string()>& text)>;

// The machine-code half of the pipeline for one target.
class KernelBackend {
 public:
  virtual ~KernelBackend() = default;
  // What the plan needs to know of the target.
  virtual GemmSchedule gemm_schedule() const = 0;
  virtual std::vector<CpuFeature> required_features() const = 0;
  // The four kernels of `layout` as IR, checked after each change (a broken
  // module is an internal error), and optimized.
  virtual void emit(const KernelLayout& layout) = 0;
  virtual void verify(const char* stage) = 0;
  virtual void optimize() = 0;
  virtual std::string ir_text() const = 0;
  virtual std::string assembly() = 0;
  // JIT-links the kernels or generates the object file.
  virtual std::optional<CompileError> finish() = 0;
};

// A cell's text with its dimensions, reporting to `diagnostics`; or, with
// `ir`, a bound cell whose front end has run already.
struct PipelineInput {
  const SourceFile* file = nullptr;
  DimensionArgs dimensions;
  DiagnosticEngine* diagnostics = nullptr;
  const Graph* ir = nullptr;
};

struct PipelineResult {
  std::optional<Graph> forward;        // from Stage::Ir on; none when the cell has errors
  std::optional<KernelLayout> layout;  // from Stage::Grad on
  bool finished = false;               // the backend's finish() ran
};

// The simplified IR of the cell with its dimensions bound (run_pipeline
// without a backend); nullopt when the cell or the binding has errors, or
// the bound cell exceeds the bounds of rnnc/cell_bounds.h (all reported to
// `diagnostics`).
std::optional<Graph> build_ir(const SourceFile& file, const DimensionArgs& dimensions, DiagnosticEngine& diagnostics);

// Runs the stages in order until `hook` stops them, the cell has errors,
// or, without a backend, after Stage::Ir.
Expected<PipelineResult> run_pipeline(const PipelineInput& input, KernelBackend* backend, const StageHook& hook = {});

}  // namespace rnnc
