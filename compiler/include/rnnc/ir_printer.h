// The textual form of the cell IR, for `rnnc ir` and golden tests.
#pragma once

#include <string>

#include "rnnc/ir.h"

namespace rnnc {

std::string print_graph(const Graph& graph);

}  // namespace rnnc
