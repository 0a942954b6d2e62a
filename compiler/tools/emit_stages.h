// What `--emit` shows of the pipeline's stages (rnnc/pipeline.h): their
// names and file extensions, and a run of the pipeline that keeps their
// texts.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cli_support.h"
#include "rnnc/aot.h"
#include "rnnc/pipeline.h"

namespace rnnc::cli {

struct StageName {
  Stage stage;
  const char* name;       // as --emit spells it
  const char* extension;  // of the file `rnnc compile --emit` writes
};

const std::vector<StageName>& stage_names();
const StageName& stage_name(Stage stage);

// A UsageError naming the stages when `name` is none of them.
Stage parse_stage(const std::string& name);

// The texts of the stages asked for, and the compiled cell when the
// pipeline ran to the end.
struct Lowered {
  std::map<Stage, std::string> texts;
  std::optional<AotCell> aot;
};

// Runs the pipeline on the cell, keeping the text of each of `stages`:
// to the object file with `to_object`, else only as far as the last of
// them. Prints the cell's diagnostics to stderr; nullopt when the cell has
// errors. An unknown target is a UsageError.
std::optional<Lowered> lower(const CellArgs& args, const std::vector<Stage>& stages, const AotOptions& options,
                             bool to_object);

}  // namespace rnnc::cli
