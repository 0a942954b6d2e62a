// Lowering of a checked cell to the cell IR, with symbolic shapes.
#pragma once

#include "rnnc/checker.h"
#include "rnnc/ir.h"

namespace rnnc {

Graph lower_cell(const CheckedCell& cell);

}  // namespace rnnc
