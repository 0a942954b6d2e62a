#include "rnnc/pipeline.h"

#include "rnnc/ast_printer.h"
#include "rnnc/cell_bounds.h"
#include "rnnc/equation_printer.h"
#include "rnnc/ir_printer.h"
#include "rnnc/lower.h"
#include "rnnc/passes.h"
#include "rnnc/step_timer.h"

namespace rnnc {

Expected<PipelineResult> run_pipeline(const PipelineInput& input, KernelBackend* backend, const StageHook& hook) {
  PipelineResult result;
  StepTimer timer;  // RNNC_TIME_PASSES
  auto stop_after = [&](Stage stage, const std::function<std::string()>& text) { return hook && hook(stage, text); };
  if (!input.ir) {  // the front end, unless the caller brings the bound IR
    DiagnosticEngine& diagnostics = *input.diagnostics;
    std::optional<CheckedCell> cell = parse_and_check(*input.file, diagnostics);                 // parse, check
    if (!cell || stop_after(Stage::Ast, [&] { return print_ast(cell->ast); })) return result;
    std::optional<DimensionValues> values = resolve_dimensions(*cell, input.dimensions, diagnostics);
    if (!values) return result;
    Graph forward = simplify(bind_dimensions(lower_cell(*cell), *values));                       // lower, simplify
    if (!check_cell_bounds(forward, cell->ast, diagnostics)) return result;
    result.forward = std::move(forward);
    timer.lap("front end");
  } else {
    result.forward = *input.ir;
  }
  const Graph& forward = *result.forward;
  if (stop_after(Stage::Ir, [&] { return print_graph(forward); }) || !backend) return result;
  result.layout = plan_kernels(forward, backend->gemm_schedule(), backend->required_features());  // differentiate, plan
  const KernelLayout& layout = *result.layout;
  timer.lap("differentiate and plan");
  if (stop_after(Stage::Grad, [&] { return print_backward_equations(forward, layout.backward); })) return result;
  std::string bounds = layout_bounds_error(layout);
  if (!bounds.empty()) return CompileError{CompileError::Kind::Cell, bounds};
  backend->emit(layout);                                                                        // emit
  timer.lap("emit LLVM IR");
  backend->verify("after code generation");                                                    // verify
  timer.lap("verify");
  if (stop_after(Stage::Llvm, [&] { return backend->ir_text(); })) return result;
  backend->optimize();                                                                          // optimize
  timer.lap("optimize");
  backend->verify("after optimization");
  timer.lap("verify");
  if (stop_after(Stage::LlvmOpt, [&] { return backend->ir_text(); })) return result;
  if (stop_after(Stage::Asm, [&] { return backend->assembly(); })) return result;
  if (std::optional<CompileError> error = backend->finish()) return *error;                     // JIT or object
  timer.lap("machine code");
  result.finished = true;
  return result;
}

std::optional<Graph> build_ir(const SourceFile& file, const DimensionArgs& dimensions, DiagnosticEngine& diagnostics) {
  // The front end alone: no backend, so the pipeline ends with the IR.
  Expected<PipelineResult> result = run_pipeline({&file, dimensions, &diagnostics, nullptr}, nullptr);
  return result ? std::move(result->forward) : std::nullopt;
}

}  // namespace rnnc
