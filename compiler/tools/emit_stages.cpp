#include "emit_stages.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <iostream>
#include <set>


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

std::optional<Lowered> lower(const CellArgs& args, const std::vector<Stage>& stages, const AotOptions& options,
                             bool to_object) {
  DimensionArgs dimensions = parse_dimension_args(args.dimensions);
  SourceFile file = load_source(args.path);
  DiagnosticEngine diagnostics(file);
  Lowered lowered;
  AotOptions watched = options;
  // A cached object has no LLVM IR or assembly to show.
  bool shows_llvm = std::any_of(stages.begin(), stages.end(), [](Stage stage) { return stage >= Stage::Llvm; });
  if (to_object && !shows_llvm) watched.cache = KernelCache::from_environment();
  watched.hook = [&](Stage stage, const std::function<std::string()>& text) {
    if (std::find(stages.begin(), stages.end(), stage) != stages.end()) lowered.texts[stage] = text();
    return !to_object && lowered.texts.size() == std::set<Stage>(stages.begin(), stages.end()).size();
  };
  Expected<std::optional<AotCell>> aot = compile_ahead_of_time({&file, dimensions, &diagnostics, nullptr}, watched);
  diagnostics.print(std::cerr);
  if (!aot && aot.error().kind == CompileError::Kind::Cell) {
    std::cerr << fmt::format("{}: error: {}\n", args.path, aot.error().message);
    return std::nullopt;
  }
  if (!aot) throw UsageError{fmt::format("cannot compile '{}': {}", args.path, aot.error().message)};
  if (diagnostics.has_errors()) return std::nullopt;
  lowered.aot = std::move(*aot);
  return lowered;
}

}  // namespace rnnc::cli
