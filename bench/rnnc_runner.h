// rnnc through its runtime API (rnnc/cell.h): dsl/<cell>.cell with I and H
// bound, random parameters and data, one pass per run().
#pragma once

#include <deque>
#include <string>
#include <vector>

#include "problem.h"
#include "rnnc/cell.h"

namespace rnnc::bench {

// The .cell file of `cell` in the source tree's dsl/.
std::string cell_path(CellKind cell);

class RnncRunner {
 public:
  // `compiled` is a cell of the right kind with I = shape.input and
  // H = shape.hidden bound; the runner owns it and fills its parameters.
  RnncRunner(Cell compiled, Pass pass, const Shape& shape);

  // One pass over the whole sequence: forward_inference, forward_training,
  // or forward_training then backward (loss adjoint of every output random,
  // of the final states zero; parameter gradients accumulate).
  void run();

 private:
  Cell cell_;
  Pass pass_;
  ForwardArgs forward_;
  BackwardArgs backward_;
  std::deque<std::vector<float>> buffers_;  // owns everything the args point to; never moves them
};

}  // namespace rnnc::bench
