// Prints a checked syntax tree for `--emit=ast`: one node per line,
// children indented under their parent, each expression with its shape.
#pragma once

#include <string>

#include "rnnc/ast.h"

namespace rnnc {

std::string print_ast(const CellAst& ast);

}  // namespace rnnc
