// libFuzzer target: any bytes as a .cell file. Parsing and checking must
// end in diagnostics or a checked cell, never a crash, a hang or an internal
// error; a cell that checks is then bound with small dimensions, simplified,
// printed and differentiated (what `rnnc ir` and `rnnc grad` do).
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "rnnc/autodiff.h"
#include "rnnc/frontend.h"
#include "rnnc/pipeline.h"
#include "rnnc/ir_printer.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  rnnc::SourceFile file{"fuzz.cell", std::string(reinterpret_cast<const char*>(data), size)};
  rnnc::DiagnosticEngine diagnostics(file);
  std::optional<rnnc::CheckedCell> cell = rnnc::parse_and_check(file, diagnostics);
  std::ostringstream printed;
  diagnostics.print(printed);
  if (!cell) return 0;
  for (std::int64_t extent : {1, 3}) {
    rnnc::DimensionArgs dimensions;
    for (const rnnc::NameRef& dimension : cell->ast.dimensions) dimensions.emplace_back(dimension.name, extent);
    rnnc::DiagnosticEngine binding(file);
    std::optional<rnnc::Graph> graph = rnnc::build_ir(file, dimensions, binding);
    binding.print(printed);
    if (!graph) continue;
    printed << rnnc::print_graph(*graph);
    rnnc::differentiate(*graph);
  }
  return 0;
}
