// How a step graph becomes a whole-sequence kernel, decided on the IR alone
// (no LLVM). Every value gets a phase:
//   Hoisted    independent of the state: computed for all T·B rows before
//              the time loop (the input projection W x of every step is one
//              product over all rows)
//   Recurrent  needed to compute the next state: computed per step
//   Deferred   depends on the state but the recurrence does not need it:
//              computed for all rows after the time loop (e.g. the input
//              adjoints and, as Gradient, the weight gradients of a backward
//              step, which become one product over all rows)
// A state-independent pointwise vector is Hoisted only when a Hoisted value
// (a product, or what a product reads) reads it; otherwise it is computed
// where it is used (Recurrent when the loop reads it, else Deferred), which
// saves writing and re-reading it for all rows. Values that the time loop computes but later phases read are
// kept for all rows; the rest of the loop's values live in one step's
// buffer.
//
// Products of different matrices with the same operand in the same phase
// (W_i x, W_f x, ... of a cell written gate by gate) are one GEMM over the
// stacked matrices: their results are stored side by side, each but the
// last padded to a multiple of kProductAlignment floats, a multiple of every
// GEMM panel width, so that each matrix starts a panel of its own.
//
// The plan also holds what the code generator would otherwise decide: the
// GEMM schedule, each product's operands in the packed weights, the
// scratch of the weight-gradient products and whether the time loop runs
// by blocks of hidden units. codegen/sequence_codegen.h only translates it.
#pragma once

#include <cstdint>
#include <vector>

#include "rnnc/gemm_schedule.h"
#include "rnnc/ir.h"
#include "rnnc/weight_packing.h"

namespace rnnc {

enum class Phase : std::uint8_t { Leaf, View, Hoisted, Recurrent, Deferred, Gradient };

inline constexpr std::int64_t kProductAlignment = 64;

enum class TimeDirection : std::uint8_t { Forward, Backward };

// How the GEMM of one matrix product reads its weights: the products of a
// merged group share one GEMM over their stacked matrices, computed with
// the group's first product (the owner, whose storage holds all results).
struct ProductPlan {
  NodeId node;
  NodeId owner;
  std::vector<int> stack;       // parameter symbols, stacked in this order
  bool transposed;              // Wᵀ g instead of W v
  std::int64_t k;               // the GEMM's depth
  std::int64_t n;               // the GEMM's columns, of the whole stack
  std::int64_t member_column;   // the node's first column among the owner's results
  std::int64_t packed_offset;   // of the stack in the packed weights
};

struct ValuePlacement {
  Phase phase = Phase::Leaf;
  bool all_rows = false;    // stored for every row (Hoisted, Deferred, kept values)
  bool row_local = false;   // lives for one row only (SequencePlan::row_local_floats)
  // Never stored: computed inside the expression of the one elementwise
  // value of its loop that reads it (see SequencePlan::values).
  bool inlined = false;
  std::int64_t offset = 0;  // floats before it in its row of the all-rows, step or row-local buffer
};

// The most floats of row-local values a kernel keeps on its stack (per
// thread, beside the GEMM's A block); what does not fit stays in scratch.
inline constexpr std::int64_t kRowLocalFloatsLimit = 16384;

struct SequencePlan {
  // Per node. Arithmetic (a unary or binary value, not a transcendental
  // function) whose every element is read once, element by element (not
  // broadcast) by an elementwise value of the same loop over rows, and that
  // is not a sink, a next state, a gradient nor kept, is inlined:
  // z = W_ih x + b_ih + W_hh h + b_hh feeding i = sigmoid(z[0:H]) becomes
  // one loop that loads four operands, adds and applies the sigmoid,
  // instead of three loops that store and reload z's partial sums.
  std::vector<ValuePlacement> values;
  // Merged products, in graph order, each in graph order; the first one's
  // storage holds them all.
  std::vector<std::vector<NodeId>> product_groups;
  std::vector<NodeId> sinks;           // values the kernel writes out, per row
  std::int64_t all_rows_floats = 0;    // per row
  // A pointwise value whose every reader is a pointwise value of the same
  // loop over rows (its phase, between the same two products; a step by
  // unit blocks has one such loop, after its products) and that is not a
  // sink, a next state or a gradient nor kept lives in one row's
  // buffer on the stack, reused for every row, its place shared with
  // values whose lives (first writer to last reader, in graph order) do not
  // overlap. Without it a layer-normalized LSTM's backward wrote and read
  // back 115 KB per row at H = 512, which the next row never reads.
  std::int64_t row_local_floats = 0;
  std::int64_t step_floats = 0;        // per sample
  std::int64_t state_floats = 0;       // per sample
  // The period U of the time loop's values, or 0 when it has none: a step's
  // values can be computed U-block by U-block, element g·U + u of each value
  // reading only elements g'·U + u of the other values of the step, when
  //   - each of its matrix products multiplies a state,
  //   - every other value it computes is elementwise (unary, binary, a
  //     broadcast scalar), and
  //   - every length and slice offset among them, the states' lengths and
  //     the lengths of the sinks it writes are multiples of U.
  // The LSTM's and GRU's steps have U = H (the four gate blocks of W_hh h
  // are g = 0..3); a layer-normalized LSTM has none (its means read every
  // element). The step's products and pointwise math then run together on
  // each block, and threads share the blocks with one barrier per step.
  std::int64_t step_unit = 0;
  // Whether the time loop runs by blocks of the U hidden units: when U is a
  // multiple of the GEMM panel width, so that a block is whole panels.
  bool unit_blocks = false;
  TimeDirection direction = TimeDirection::Forward;
  GemmSchedule schedule;
  std::vector<ProductPlan> products;  // per matrix product, in graph order
  // The operands of the weight-gradient products, packed into panels, per
  // row (the widest: they run one after another).
  std::int64_t gradient_floats = 0;

  const ProductPlan& product(NodeId id) const;

  // Floats of scratch a kernel needs for T steps and B samples: per row
  // (t·B + b), the values kept for all rows and the weight-gradient
  // operands; per sample, one step's values, the running states and the
  // next states staged before they replace them. The generated C header
  // writes the same formula from these two.
  std::int64_t scratch_floats_per_row() const { return all_rows_floats + gradient_floats; }
  std::int64_t scratch_floats_per_sample() const { return step_floats + 2 * state_floats; }
  std::int64_t scratch_floats(std::int64_t steps, std::int64_t batch) const {
    return steps * batch * scratch_floats_per_row() + batch * scratch_floats_per_sample();
  }
};

// The value whose storage `id` is: itself, or what its slices view.
NodeId storage_owner(const Graph& graph, NodeId id);
// Where `id` starts in its storage owner's elements (the sum of the slice
// offsets of the views between them).
std::int64_t storage_offset(const Graph& graph, NodeId id);

// Plans a kernel over `graph` that writes the values of `sinks` for every
// row (outputs, and what a training forward pass saves for the backward
// one), its time loop running in `direction`, its products multiplied by
// GEMMs of `schedule` on the weights of `packing`.
SequencePlan plan_sequence(const Graph& graph, std::vector<NodeId> sinks, TimeDirection direction,
                           const GemmSchedule& schedule, const PackedWeights& packing);

// The phase of every node, and the products of `graph` that are merged
// (groups of at least two), as plan_sequence decides them.
std::vector<Phase> plan_phases(const Graph& graph);
std::vector<std::vector<NodeId>> merged_products(const Graph& graph, const std::vector<Phase>& phases);

}  // namespace rnnc
