#include "emit_stages.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <iostream>

#include "rnnc/ast_printer.h"
#include "rnnc/equation_printer.h"
#include "rnnc/ir_printer.h"

namespace rnnc::cli {

const std::vector<StageName>& stage_names() {
  static const std::vector<StageName> names = {
      {Stage::Ast, "ast", ".ast"},
      {Stage::Ir, "ir", ".ir"},
      {Stage::Grad, "grad", ".grad"},
      {Stage::Llvm, "llvm", ".ll"},
      {Stage::LlvmOpt, "llvm-opt", ".opt.ll"},
      {Stage::Asm, "asm", ".s"},
  };
  return names;
}

const StageName& stage_name(Stage stage) { return stage_names()[std::size_t(stage)]; }

Stage parse_stage(const std::string& name) {
  std::vector<std::string> known;
  for (const StageName& stage : stage_names()) {
    if (name == stage.name) return stage.stage;
    known.push_back(stage.name);
  }
  throw UsageError{fmt::format("unknown stage '{}' for --emit; the stages are {}", name, fmt::join(known, ", "))};
}

void want_text(Stage stage, AotOptions& options) {
  options.llvm_ir = options.llvm_ir || stage == Stage::Llvm;
  options.llvm_ir_optimized = options.llvm_ir_optimized || stage == Stage::LlvmOpt;
  options.assembly = options.assembly || stage == Stage::Asm;
}

std::optional<Lowered> lower(const CellArgs& args, Stage last, bool with_ast, AotOptions options) {
  Lowered lowered;
  if (last == Stage::Ast) {
    SourceFile file = load_source(args.path);
    DiagnosticEngine diagnostics(file);
    lowered.checked = parse_and_check(file, diagnostics);
    diagnostics.print(std::cerr);
    if (!lowered.checked) return std::nullopt;
    return lowered;
  }
  std::optional<BuiltCell> built = load_cell(args);
  if (!built) return std::nullopt;
  if (with_ast) lowered.checked = std::move(built->checked);
  lowered.graph = std::move(built->graph);
  if (last >= Stage::Llvm) {
    if (options.name.empty()) options.name = lowered.graph->cell_name;
    want_text(last, options);
    CompileError error;
    lowered.aot = compile_ahead_of_time(*lowered.graph, options, error);
    if (!lowered.aot && error.kind == CompileError::Kind::Cell) {
      std::cerr << fmt::format("{}: error: {}\n", args.path, error.message);
      return std::nullopt;
    }
    if (!lowered.aot) throw UsageError{fmt::format("cannot compile '{}': {}", args.path, error.message)};
  }
  return lowered;
}

std::string stage_text(Stage stage, const Lowered& lowered) {
  switch (stage) {
    case Stage::Ast: return print_ast(lowered.checked->ast);
    case Stage::Ir: return print_graph(*lowered.graph);
    case Stage::Grad:
      return print_backward_equations(*lowered.graph,
                                      lowered.aot ? lowered.aot->layout.backward : differentiate(*lowered.graph));
    case Stage::Llvm: return lowered.aot->llvm_ir;
    case Stage::LlvmOpt: return lowered.aot->llvm_ir_optimized;
    case Stage::Asm: return lowered.aot->assembly;
  }
  return {};
}

}  // namespace rnnc::cli
