// A whole-sequence kernel: copy in the states, compute the Hoisted values
// for all T·B rows, run the time loop over the Recurrent values, copy the
// states out, compute the Deferred values for all rows, then the gradients.
// The frame (kernel_frame.h) knows where values live; the products
// (product_codegen.h) and the pointwise values (pointwise_codegen.h) are
// emitted there; this file orders them.
#include "codegen/sequence_codegen.h"

#include <functional>
#include <vector>

#include "codegen/kernel_frame.h"
#include "codegen/loops.h"
#include "codegen/pointwise_codegen.h"
#include "codegen/product_codegen.h"

namespace rnnc {

namespace {

class SequenceEmitter {
 public:
  SequenceEmitter(const Graph& graph, const SequencePlan& plan, llvm::Module& module, const std::string& name)
      : graph_(graph), plan_(plan), frame_(graph, plan, module, name), builder_(frame_.builder()) {}

  void run() {
    const ThreadTeam& team = frame_.team();
    llvm::Value* rows = frame_.rows();
    frame_.use_initial_states();
    copy_states(/*into_kernel=*/true);
    team.barrier(builder_);
    compute_phase(Phase::Hoisted, rows, i64(0), /*in_step=*/false);
    team.barrier(builder_);  // a step's samples are not the shares of all rows
    llvm::Value* steps = frame_.steps();
    frame_.loop(steps, "step", [&](llvm::Value* counter) {
      llvm::Value* step = plan_.direction == TimeDirection::Forward
                              ? counter
                              : builder_.CreateSub(builder_.CreateSub(steps, i64(1)), counter);
      frame_.enter_step(counter);
      if (plan_.unit_blocks) {
        emit_unit_step(step);
      } else {
        emit_step(step);
      }
    });
    frame_.leave_loop(steps);
    copy_states(/*into_kernel=*/false);
    compute_phase(Phase::Deferred, rows, i64(0), /*in_step=*/false);
    frame_.loop_share(rows, "deferred_sinks", [&](llvm::Value* row) { write_sinks(row, nullptr, /*in_step=*/false); });
    team.barrier(builder_);
    for (const ParamGradient& gradient : graph_.param_gradients) emit_param_gradient(frame_, gradient);
    frame_.finish();
  }

 private:
  // Computes the values of `phase`, in order, for `count` consecutive rows
  // from first_row: each matrix product as one GEMM over the rows, and each
  // run of other values between two products in one loop over the rows, so
  // that a row's pointwise values are computed while its data is in cache.
  // In the time loop, the rows are the step's samples.
  //
  // Threads share the rows of each pointwise run. They share a product's
  // rows too when each gets at least a register tile of them: then no
  // thread reads what another wrote and the phase needs no barrier (a step,
  // only the one after its states change). Otherwise they share the
  // product's columns, and meet after each product and before it. What
  // follows a phase reads its rows in the same shares, except the time loop
  // after the Hoisted phase.
  void compute_phase(Phase phase, llvm::Value* count, llvm::Value* first_row, bool in_step) {
    llvm::Value* by_rows = builder_.CreateICmpSGE(
        count, builder_.CreateMul(frame_.team().threads(builder_), i64(plan_.schedule.tile_rows)));
    std::vector<NodeId> pointwise;
    auto flush = [&] {
      if (pointwise.empty()) return;
      frame_.loop_share(count, "rows", [&](llvm::Value* i) {
        llvm::Value* row = builder_.CreateAdd(first_row, i);
        for (NodeId id : pointwise) compute(id, row, in_step ? i : nullptr);
      });
      pointwise.clear();
    };
    for (NodeId id = 0; id < NodeId(graph_.nodes.size()); ++id) {
      if (plan_.values[std::size_t(id)].phase != phase) continue;
      if (op_class(graph_.node(id).op) == OpClass::MatVec) {
        if (!pointwise.empty()) {
          flush();
          barrier_unless(by_rows);
        }
        emit_product(frame_, id, count, first_row, in_step ? i64(0) : nullptr, by_rows);
      } else {
        pointwise.push_back(id);
      }
    }
    flush();
  }

  void barrier_unless(llvm::Value* condition) {
    llvm::LLVMContext& context = builder_.getContext();
    llvm::BasicBlock* wait = llvm::BasicBlock::Create(context, "barrier_needed", frame_.function());
    llvm::BasicBlock* done = llvm::BasicBlock::Create(context, "barrier_skipped", frame_.function());
    builder_.CreateCondBr(condition, done, wait);
    builder_.SetInsertPoint(wait);
    frame_.team().barrier(builder_);
    builder_.CreateBr(done);
    builder_.SetInsertPoint(done);
  }

  // ---- the time loop -------------------------------------------------------
  void emit_step(llvm::Value* step) {
    llvm::Value* first_row = builder_.CreateMul(step, frame_.batch());
    auto row_of_sample = [&](llvm::Value* sample) { return builder_.CreateAdd(first_row, sample); };
    keep_states(first_row);
    compute_phase(Phase::Recurrent, frame_.batch(), first_row, /*in_step=*/true);
    // Each thread writes out the samples whose values it computed.
    frame_.loop_share(frame_.batch(), "next_states", [&](llvm::Value* sample) {
      llvm::Value* row = row_of_sample(sample);
      write_sinks(row, sample, /*in_step=*/true);
      std::int64_t state_offset = 0;
      for (std::size_t s = 0; s < graph_.states.size(); ++s) {
        std::int64_t length = element_count(graph_.states[s].shape);
        copy(frame_.access(graph_.next_states[s], row, sample),
             frame_.state_row(frame_.next_states(), sample, state_offset), length);
        state_offset += length;
      }
    });
    frame_.team().barrier(builder_);  // the next step's products read every sample's state
  }

  // ---- the time loop by blocks of hidden units --------------------------------
  // With SequencePlan::unit_blocks (a step period U that whole GEMM panels
  // divide), each thread takes a block of the U hidden units (whole panels,
  // in thread order): the step's products compute just that block's
  // columns of every gate (one GEMM call per product, the gates as column
  // segments U apart), then the pointwise math, the sinks and the next
  // states of those units run for every sample. A thread reads only its
  // slice of the recurrent weights, and the step needs one barrier at any
  // batch size. On one thread this is the plain step in another order; on
  // two, it measured as fast as sharing the samples at B = 64 (H = 512) and
  // as fast as sharing each product's columns (three barriers) at B = 1.
  // (Smaller blocks, 64 columns, so that a block's gates stay
  // in L2 between the GEMM and the pointwise loop, measured 6 % slower at
  // H = 512, B = 64 on one Zen 3 thread: A is packed once per block and the
  // loops are shorter.)
  void emit_unit_step(llvm::Value* step) {
    const std::int64_t unit = plan_.step_unit, panel_width = plan_.schedule.panel_width();
    llvm::Value* first_row = builder_.CreateMul(step, frame_.batch());
    keep_states(first_row);
    std::vector<NodeId> products, pointwise;
    for (NodeId id = 0; id < NodeId(graph_.nodes.size()); ++id) {
      if (plan_.values[std::size_t(id)].phase != Phase::Recurrent) continue;
      (op_class(graph_.node(id).op) == OpClass::MatVec ? products : pointwise).push_back(id);
    }
    auto [first_panel, end_panel] = frame_.team().share(builder_, i64(unit / panel_width));
    llvm::Value* first_unit = builder_.CreateMul(first_panel, i64(panel_width));
    llvm::Value* width = builder_.CreateMul(builder_.CreateSub(end_panel, first_panel), i64(panel_width));
    emit_if_then(builder_, builder_.CreateICmpSGT(width, i64(0)), "unit_block", [&] {
      for (NodeId id : products) emit_unit_block_product(frame_, id, first_row, first_unit, width);
      frame_.loop(frame_.batch(), "unit_rows", [&](llvm::Value* sample) {
        llvm::Value* row = builder_.CreateAdd(first_row, sample);
        // Element g·U + first_unit + j of a value, for its g and j < width.
        auto for_block = [&](std::int64_t length, const std::function<void(llvm::Value*)>& body) {
          for (std::int64_t g = 0; g < length / unit; ++g) body(builder_.CreateAdd(first_unit, i64(g * unit)));
        };
        for (NodeId id : pointwise) {
          for_block(element_count(graph_.node(id).shape),
                    [&](llvm::Value* first) { compute(id, row, sample, first, width); });
        }
        for (std::size_t k = 0; k < plan_.sinks.size(); ++k) {
          if (!computed_in_step(plan_.sinks[k])) continue;
          Access sink = frame_.access(plan_.sinks[k], row, sample);
          llvm::Value* target = frame_.sink_row(k, row);
          for_block(sink.length,
                    [&](llvm::Value* first) { emit_copy(builder_, lanes(), sink, target, first, width, true); });
        }
        for (std::size_t s = 0; s < graph_.states.size(); ++s) {
          Access next = frame_.access(graph_.next_states[s], row, sample);
          llvm::Value* target = frame_.state_row(frame_.next_states(), sample, frame_.state_offset(int(s)));
          for_block(next.length,
                    [&](llvm::Value* first) { emit_copy(builder_, lanes(), next, target, first, width, true); });
        }
      });
    });
    frame_.team().barrier(builder_);  // the next step's products read every unit of the states
  }

  // States read after the loop are copied out for every row of the step
  // first (each thread its samples; nothing in the step writes them).
  void keep_states(llvm::Value* first_row) {
    frame_.loop_share(frame_.batch(), "keep_states", [&](llvm::Value* sample) {
      for (NodeId id = 0; id < NodeId(graph_.nodes.size()); ++id) {
        const Node& node = graph_.node(id);
        if (node.op != Op::State || !plan_.values[std::size_t(id)].all_rows) continue;
        copy(frame_.state_access(node.symbol, sample),
             frame_.stored(id, builder_.CreateAdd(first_row, sample), sample), element_count(node.shape));
      }
    });
  }

  bool computed_in_step(NodeId sink) const {
    return plan_.values[std::size_t(storage_owner(graph_, sink))].phase == Phase::Recurrent;
  }

  // A sink is written in the time loop when the loop computes it, else after.
  void write_sinks(llvm::Value* row, llvm::Value* sample, bool in_step) {
    for (std::size_t k = 0; k < plan_.sinks.size(); ++k) {
      NodeId id = plan_.sinks[k];
      if (computed_in_step(id) != in_step) continue;
      std::int64_t length = element_count(graph_.node(id).shape);
      copy(frame_.access(id, row, sample), frame_.sink_row(k, row), length);
    }
  }

  // Copies the states between the caller's buffers and the kernel's.
  void copy_states(bool into_kernel) {
    frame_.loop_share(frame_.batch(), into_kernel ? "load_state" : "store_state", [&](llvm::Value* sample) {
      std::int64_t state_offset = 0;
      for (std::size_t s = 0; s < graph_.states.size(); ++s) {
        std::int64_t length = element_count(graph_.states[s].shape);
        llvm::Value* caller = frame_.offset(into_kernel ? frame_.initial_state(s) : frame_.final_state(s),
                                            builder_.CreateMul(sample, i64(length)));
        llvm::Value* kernel = frame_.state_row(frame_.states(), sample, state_offset);
        if (into_kernel) {
          copy({caller, nullptr, length}, kernel, length);
        } else {
          copy({kernel, nullptr, length}, caller, length);
        }
        state_offset += length;
      }
    });
  }

  // Node `id` for one row (see emit_row_values).
  void compute(NodeId id, llvm::Value* row, llvm::Value* sample, llvm::Value* first = nullptr,
               llvm::Value* count = nullptr) {
    if (plan_.values[std::size_t(id)].inlined) return;  // its reader computes it
    const Node& node = graph_.node(id);
    llvm::Value* destination = frame_.stored(id, row, sample);
    std::vector<Access> operands;
    for (NodeId operand : node.operands) operands.push_back(frame_.access(operand, row, sample));
    emit_row_values(builder_, lanes(), node, destination, operands, first, count);
  }

  void copy(const Access& source, llvm::Value* destination, std::int64_t length) {
    emit_copy(builder_, lanes(), source, destination, i64(0), i64(length));
  }

  int lanes() const { return plan_.schedule.vector_width; }

  llvm::Value* i64(std::int64_t value) { return frame_.i64(value); }

  const Graph& graph_;
  const SequencePlan& plan_;
  KernelFrame frame_;
  llvm::IRBuilder<>& builder_;
};

}  // namespace

void emit_sequence_kernel(const Graph& graph, const SequencePlan& plan, const std::string& name, llvm::Module& module) {
  SequenceEmitter(graph, plan, module, name).run();
}

}  // namespace rnnc
