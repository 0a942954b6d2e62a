// The stages of the pipeline that `--emit` shows, in pipeline order (as the
// -emit= of MLIR's Toy): the checked syntax tree, the bound IR, the derived
// backward step, the LLVM IR before and after optimization, the assembly.
// How far a command must lower is one comparison.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli_support.h"
#include "rnnc/aot.h"
#include "rnnc/checker.h"

namespace rnnc::cli {

enum class Stage { Ast, Ir, Grad, Llvm, LlvmOpt, Asm };

struct StageName {
  Stage stage;
  const char* name;       // as --emit spells it
  const char* extension;  // of the file `rnnc compile --emit` writes
};

const std::vector<StageName>& stage_names();
const StageName& stage_name(Stage stage);

// A UsageError naming the stages when `name` is none of them.
Stage parse_stage(const std::string& name);

// What the pipeline produced, as far as it was asked to go.
struct Lowered {
  std::optional<CheckedCell> checked;  // with_ast only
  std::optional<Graph> graph;          // from Stage::Ir on
  std::optional<AotCell> aot;          // from Stage::Llvm on
};

// Asks `options` for the text of `stage` where it is one of the compiler's
// (LLVM IR, assembly), which are printed only when asked for.
void want_text(Stage stage, AotOptions& options);

// Runs the pipeline up to `last`, printing the cell's diagnostics to
// stderr; nullopt when the cell has errors. `options.name` empty means the
// cell's name; an unknown target is a UsageError.
std::optional<Lowered> lower(const CellArgs& args, Stage last, bool with_ast, AotOptions options);

std::string stage_text(Stage stage, const Lowered& lowered);

}  // namespace rnnc::cli
