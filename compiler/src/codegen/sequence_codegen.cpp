// A whole-sequence kernel: copy in the states, compute the Hoisted values
// for all T·B rows, run the time loop over the Recurrent values, copy the
// states out, compute the Deferred values for all rows, then the gradients.
//
// The states live in two buffers that swap roles every step: a step reads
// one and writes the next states into the other, so that no thread
// overwrites a state another may still read (the step's one barrier is
// enough).
#include "codegen/sequence_codegen.h"

#include <algorithm>
#include <functional>

#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Intrinsics.h>
#include <llvm/IR/IntrinsicsX86.h>

#include "codegen/gemm.h"
#include "codegen/loops.h"
#include "codegen/thread_team.h"
#include "codegen/vector_math.h"
#include "rnnc/internal_error.h"

namespace rnnc {

namespace {

// Where one value of one row lives: `base` points at its element 0. A
// constant has no buffer; a length-1 value broadcasts.
struct Access {
  llvm::Value* base = nullptr;
  llvm::Value* constant = nullptr;
  std::int64_t length = 1;
};

// A value for a run of consecutive rows: row i at base + i·stride floats.
struct Strided {
  llvm::Value* base;
  llvm::Value* stride;
};

class SequenceEmitter {
 public:
  SequenceEmitter(const Graph& graph, const SequencePlan& plan, llvm::Module& module)
      : graph_(graph), plan_(plan), schedule_(plan.schedule), module_(module), context_(module.getContext()),
        builder_(context_) {
    f32_ = builder_.getFloatTy();
    i64_ = builder_.getInt64Ty();
    ptr_ = builder_.getPtrTy();
    row_buffer_ = llvm::StructType::get(context_, {ptr_, i64_});
  }

  void run(const std::string& name) {
    ThreadTeam team(module_, name, {i64_, i64_, ptr_, ptr_, ptr_, ptr_, ptr_, ptr_, ptr_, ptr_});
    team_ = &team;
    function_ = team.worker();
    builder_.SetInsertPoint(team.body());
    auto argument = [&](unsigned i) { return team.argument(builder_, i); };
    steps_ = argument(0);
    batch_ = argument(1);
    sources_ = argument(2);
    initial_states_ = argument(3);
    final_states_ = argument(4);
    sinks_ = argument(5);
    params_ = argument(6);
    param_gradients_ = argument(7);
    packed_weights_ = argument(8);
    llvm::Value* scratch = argument(9);

    llvm::Value* saved_mxcsr = flush_denormals();
    rows_ = builder_.CreateMul(steps_, batch_, "rows");
    all_rows_base_ = scratch;
    step_base_ = offset(all_rows_base_, builder_.CreateMul(rows_, i64(plan_.all_rows_floats)));
    state_buffers_[0] = offset(step_base_, builder_.CreateMul(batch_, i64(plan_.step_floats)));
    state_buffers_[1] = offset(state_buffers_[0], builder_.CreateMul(batch_, i64(plan_.state_floats)));
    gradient_base_ = offset(state_buffers_[1], builder_.CreateMul(batch_, i64(plan_.state_floats)));

    states_ = state_buffers_[0];
    copy_states(/*into_kernel=*/true);
    team.barrier(builder_);
    compute_phase(Phase::Hoisted, rows_, i64(0), /*in_step=*/false);
    team.barrier(builder_);  // a step's samples are not the shares of all rows
    loop(steps_, "step", [&](llvm::Value* counter) {
      llvm::Value* step = plan_.direction == TimeDirection::Forward
                              ? counter
                              : builder_.CreateSub(builder_.CreateSub(steps_, i64(1)), counter);
      llvm::Value* odd = builder_.CreateTrunc(counter, builder_.getInt1Ty());
      states_ = builder_.CreateSelect(odd, state_buffers_[1], state_buffers_[0]);
      next_states_ = builder_.CreateSelect(odd, state_buffers_[0], state_buffers_[1]);
      if (plan_.unit_blocks) {
        emit_unit_step(step);
      } else {
        emit_step(step);
      }
    });
    states_ = builder_.CreateSelect(builder_.CreateTrunc(steps_, builder_.getInt1Ty()), state_buffers_[1],
                                    state_buffers_[0]);
    copy_states(/*into_kernel=*/false);
    in_step_ = false;
    compute_phase(Phase::Deferred, rows_, i64(0), /*in_step=*/false);
    loop_share(rows_, "deferred_sinks", [&](llvm::Value* row) { write_sinks(row, nullptr, /*in_step=*/false); });
    team.barrier(builder_);
    for (const ParamGradient& gradient : graph_.param_gradients) accumulate_gradient(gradient);

    builder_.CreateCall(llvm::Intrinsic::getDeclaration(&module_, llvm::Intrinsic::x86_sse_ldmxcsr), {saved_mxcsr});
    builder_.CreateRetVoid();
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
    llvm::Value* by_rows =
        builder_.CreateICmpSGE(count, builder_.CreateMul(team_->threads(builder_), i64(schedule_.tile_rows)));
    std::vector<NodeId> pointwise;
    auto flush = [&] {
      if (pointwise.empty()) return;
      loop_share(count, "rows", [&](llvm::Value* i) {
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
        gemm(id, count, first_row, in_step ? i64(0) : nullptr, by_rows);
      } else {
        pointwise.push_back(id);
      }
    }
    flush();
  }

  void barrier_unless(llvm::Value* condition) {
    llvm::BasicBlock* wait = llvm::BasicBlock::Create(context_, "barrier_needed", function_);
    llvm::BasicBlock* done = llvm::BasicBlock::Create(context_, "barrier_skipped", function_);
    builder_.CreateCondBr(condition, done, wait);
    builder_.SetInsertPoint(wait);
    team_->barrier(builder_);
    builder_.CreateBr(done);
    builder_.SetInsertPoint(done);
  }

  // ---- matrix products ---------------------------------------------------------
  // The product of node `id` for M consecutive rows starting at first_row
  // (or, in the time loop, at sample 0 of the step's buffers); for the first
  // product of a merged group, the whole group's (the others are then done).
  void gemm(NodeId id, llvm::Value* M, llvm::Value* first_row, llvm::Value* first_sample, llvm::Value* by_rows) {
    const Node& node = graph_.node(id);
    const ProductPlan& weights = plan_.product(id);
    if (weights.owner != id) return;
    const std::int64_t k = weights.k, n = weights.n;
    Strided a = strided(node.operands[0], first_row, first_sample);
    Strided c = strided(id, first_row, first_sample);
    llvm::Value* packed = offset(packed_weights_, i64(weights.packed_offset));
    llvm::BasicBlock* rows_block = llvm::BasicBlock::Create(context_, "gemm_by_rows", function_);
    llvm::BasicBlock* columns_block = llvm::BasicBlock::Create(context_, "gemm_by_columns", function_);
    llvm::BasicBlock* done = llvm::BasicBlock::Create(context_, "gemm_shared", function_);
    builder_.CreateCondBr(by_rows, rows_block, columns_block);
    builder_.SetInsertPoint(rows_block);
    auto [begin, end] = team_->share(builder_, M);
    builder_.CreateCall(gemm_function(module_, schedule_),
                        {builder_.CreateSub(end, begin), offset(a.base, builder_.CreateMul(begin, a.stride)), a.stride,
                         i64(1), packed, offset(c.base, builder_.CreateMul(begin, c.stride)), c.stride, i64(n), i64(k),
                         i64(1), i64(0), builder_.getInt1(false)});
    builder_.CreateBr(done);
    builder_.SetInsertPoint(columns_block);
    shared_gemm(M, a.base, a.stride, i64(1), packed, c.base, c.stride, n, i64(k), /*accumulate=*/false);
    builder_.CreateBr(done);
    builder_.SetInsertPoint(done);
  }

  // C (=, +=) A Wᵀ with the threads sharing W's panels (C's columns), then
  // a barrier.
  void shared_gemm(llvm::Value* M, llvm::Value* a_base, llvm::Value* a_stride, llvm::Value* a_k_stride,
                   llvm::Value* packed, llvm::Value* c_base, llvm::Value* c_stride, std::int64_t n, llvm::Value* k,
                   bool accumulate) {
    const std::int64_t width = schedule_.panel_width();
    auto [first_panel, end_panel] = team_->share(builder_, i64((n + width - 1) / width));
    llvm::BasicBlock* multiply = llvm::BasicBlock::Create(context_, "gemm_part", function_);
    llvm::BasicBlock* done = llvm::BasicBlock::Create(context_, "gemm_part_done", function_);
    builder_.CreateCondBr(builder_.CreateICmpSLT(first_panel, end_panel), multiply, done);
    builder_.SetInsertPoint(multiply);
    llvm::Value* first_column = builder_.CreateMul(first_panel, i64(width));
    llvm::Value* end_column = builder_.CreateMul(end_panel, i64(width));
    end_column = builder_.CreateSelect(builder_.CreateICmpSLT(end_column, i64(n)), end_column, i64(n));
    builder_.CreateCall(gemm_function(module_, schedule_),
                        {M, a_base, a_stride, a_k_stride, offset(packed, builder_.CreateMul(first_column, k)),
                         offset(c_base, first_column), c_stride, builder_.CreateSub(end_column, first_column), k,
                         i64(1), i64(0), builder_.getInt1(accumulate)});
    builder_.CreateBr(done);
    builder_.SetInsertPoint(done);
    team_->barrier(builder_);
  }

  Strided strided(NodeId id, llvm::Value* first_row, llvm::Value* first_sample) {
    const Node& node = graph_.node(id);
    const ValuePlacement& placement = plan_.values[std::size_t(id)];
    if (placement.all_rows && (node.op != Op::State || !in_step_)) {
      return {stored(id, first_row, first_sample), i64(plan_.all_rows_floats)};
    }
    switch (placement.phase) {
      case Phase::Leaf:
        switch (node.op) {
          case Op::Input: {
            llvm::Value* entry = builder_.CreateGEP(row_buffer_, sources_, i64(node.symbol));
            llvm::Value* stride = builder_.CreateLoad(i64_, builder_.CreateStructGEP(row_buffer_, entry, 1));
            return {row_of(sources_, std::size_t(node.symbol), first_row), stride};
          }
          case Op::Param: return {argument(params_, std::size_t(node.symbol)), i64(0)};
          case Op::State: return {state_access(node.symbol, first_sample).base, i64(plan_.state_floats)};
          default: internal_error(__FILE__, __LINE__, "a matrix product of a constant");
        }
      case Phase::View: {
        Strided source = strided(node.operands[0], first_row, first_sample);
        return {offset(source.base, i64(node.slice_begin.constant_value())), source.stride};
      }
      case Phase::Recurrent: return {stored(id, first_row, first_sample), i64(plan_.step_floats)};
      default: RNNC_ASSERT(false, "value has no storage");
    }
  }

  // ---- the time loop -------------------------------------------------------
  void emit_step(llvm::Value* step) {
    in_step_ = true;
    llvm::Value* first_row = builder_.CreateMul(step, batch_);
    auto row_of_sample = [&](llvm::Value* sample) { return builder_.CreateAdd(first_row, sample); };
    keep_states(first_row);
    compute_phase(Phase::Recurrent, batch_, first_row, /*in_step=*/true);
    // Each thread writes out the samples whose values it computed.
    loop_share(batch_, "next_states", [&](llvm::Value* sample) {
      llvm::Value* row = row_of_sample(sample);
      write_sinks(row, sample, /*in_step=*/true);
      std::int64_t state_offset = 0;
      for (std::size_t s = 0; s < graph_.states.size(); ++s) {
        std::int64_t length = element_count(graph_.states[s].shape);
        copy(access(graph_.next_states[s], row, sample), state_row(next_states_, sample, state_offset), length);
        state_offset += length;
      }
    });
    team_->barrier(builder_);  // the next step's products read every sample's state
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
    in_step_ = true;
    const std::int64_t unit = plan_.step_unit, panel_width = schedule_.panel_width();
    llvm::Value* first_row = builder_.CreateMul(step, batch_);
    keep_states(first_row);
    std::vector<NodeId> products, pointwise;
    for (NodeId id = 0; id < NodeId(graph_.nodes.size()); ++id) {
      if (plan_.values[std::size_t(id)].phase != Phase::Recurrent) continue;
      (op_class(graph_.node(id).op) == OpClass::MatVec ? products : pointwise).push_back(id);
    }
    auto [first_panel, end_panel] = team_->share(builder_, i64(unit / panel_width));
    llvm::Value* first_unit = builder_.CreateMul(first_panel, i64(panel_width));
    llvm::Value* width = builder_.CreateMul(builder_.CreateSub(end_panel, first_panel), i64(panel_width));
    emit_if_then(builder_, builder_.CreateICmpSGT(width, i64(0)), "unit_block", [&] {
      for (NodeId id : products) unit_block_product(id, first_row, first_unit, width);
      loop(batch_, "unit_rows", [&](llvm::Value* sample) {
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
          Access sink = access(plan_.sinks[k], row, sample);
          llvm::Value* target = row_of(sinks_, k, row);
          for_block(sink.length, [&](llvm::Value* first) { copy_range(sink, target, first, width); });
        }
        for (std::size_t s = 0; s < graph_.states.size(); ++s) {
          Access next = access(graph_.next_states[s], row, sample);
          llvm::Value* target = state_row(next_states_, sample, state_offset(int(s)));
          for_block(next.length, [&](llvm::Value* first) { copy_range(next, target, first, width); });
        }
      });
    });
    team_->barrier(builder_);  // the next step's products read every unit of the states
  }

  // The columns [first_unit, first_unit + width) of each U-block of product
  // `id` (of a merged group, of its member `id`), for the step's samples:
  // one GEMM call whose column segments are the member's U-blocks.
  void unit_block_product(NodeId id, llvm::Value* first_row, llvm::Value* first_unit, llvm::Value* width) {
    const Node& node = graph_.node(id);
    const ProductPlan& weights = plan_.product(id);
    const std::int64_t k = weights.k;
    // The member's columns within the group's results (and packed panels).
    llvm::Value* first_column = builder_.CreateAdd(i64(weights.member_column), first_unit);
    Strided a = strided(node.operands[0], first_row, i64(0));
    Strided c = strided(weights.owner, first_row, i64(0));
    llvm::Value* packed = offset(packed_weights_, builder_.CreateAdd(i64(weights.packed_offset),
                                                                     builder_.CreateMul(first_column, i64(k))));
    builder_.CreateCall(gemm_function(module_, schedule_),
                        {batch_, a.base, a.stride, i64(1), packed, offset(c.base, first_column), c.stride, width,
                         i64(k), i64(element_count(node.shape) / plan_.step_unit), i64(plan_.step_unit),
                         builder_.getInt1(false)});
  }

  // States read after the loop are copied out for every row of the step
  // first (each thread its samples; nothing in the step writes them).
  void keep_states(llvm::Value* first_row) {
    loop_share(batch_, "keep_states", [&](llvm::Value* sample) {
      for (NodeId id = 0; id < NodeId(graph_.nodes.size()); ++id) {
        const Node& node = graph_.node(id);
        if (node.op != Op::State || !plan_.values[std::size_t(id)].all_rows) continue;
        copy(state_access(node.symbol, sample), stored(id, builder_.CreateAdd(first_row, sample), sample),
             element_count(node.shape));
      }
    });
  }

  bool computed_in_step(NodeId sink) const {
    NodeId owner = sink;
    while (graph_.node(owner).op == Op::Slice) owner = graph_.node(owner).operands[0];
    return plan_.values[std::size_t(owner)].phase == Phase::Recurrent;
  }

  // A sink is written in the time loop when the loop computes it, else after.
  void write_sinks(llvm::Value* row, llvm::Value* sample, bool in_step) {
    for (std::size_t k = 0; k < plan_.sinks.size(); ++k) {
      NodeId id = plan_.sinks[k];
      if (computed_in_step(id) != in_step) continue;
      std::int64_t length = element_count(graph_.node(id).shape);
      copy(access(id, row, sample), row_of(sinks_, k, row), length);
    }
  }

  // Copies the states between the caller's buffers and the kernel's.
  void copy_states(bool into_kernel) {
    loop_share(batch_, into_kernel ? "load_state" : "store_state", [&](llvm::Value* sample) {
      std::int64_t state_offset = 0;
      for (std::size_t s = 0; s < graph_.states.size(); ++s) {
        std::int64_t length = element_count(graph_.states[s].shape);
        llvm::Value* caller = offset(argument(into_kernel ? initial_states_ : final_states_, s),
                                     builder_.CreateMul(sample, i64(length)));
        llvm::Value* kernel = state_row(states_, sample, state_offset);
        if (into_kernel) {
          copy({caller, nullptr, length}, kernel, length);
        } else {
          copy({kernel, nullptr, length}, caller, length);
        }
        state_offset += length;
      }
    });
  }

  // ---- gradients ------------------------------------------------------------
  // Parameter gradients are sums over all T·B rows, after the time loop:
  // an Outer contribution g vᵀ becomes one product Gᵀ V over the rows
  // instead of an accumulation per step.
  void accumulate_gradient(const ParamGradient& gradient) {
    const Node& node = graph_.node(gradient.node);
    llvm::Value* target = argument(param_gradients_, std::size_t(gradient.param));
    if (node.op != Op::Outer) {
      // Row after row, so that the loop over the elements vectorizes and
      // reads each row once; the threads share the elements.
      std::int64_t length = element_count(node.shape);
      auto [begin, end] = team_->share(builder_, i64(length));
      loop(rows_, "gradient_rows", [&](llvm::Value* row) {
        Access value = access(gradient.node, row, nullptr);
        loop(builder_.CreateSub(end, begin), "gradient", [&](llvm::Value* i) {
          llvm::Value* k = builder_.CreateAdd(begin, i);
          store(target, k, builder_.CreateFAdd(element({target, nullptr, length}, k), element(value, k)));
        });
      });
      return;
    }
    // dW += Gᵀ V over all R rows, as the GEMM C = A Wᵀ with A = Gᵀ and
    // W = Vᵀ: A is read straight from G's rows (A[m][r] = G[r][m]: row
    // stride 1, k stride G's row stride), Vᵀ packed straight from V's rows,
    // then multiplied. Threads share the panels of Vᵀ and the columns of dW.
    std::int64_t rows = node.shape.rows.constant_value(), cols = node.shape.cols.constant_value();
    Strided g = strided(node.operands[0], i64(0), nullptr);
    Strided v = strided(node.operands[1], i64(0), nullptr);
    llvm::Value* packed = gradient_base_;
    llvm::BasicBlock* multiply = llvm::BasicBlock::Create(context_, "gradient_gemm", function_);
    llvm::BasicBlock* done = llvm::BasicBlock::Create(context_, "gradient_done", function_);
    builder_.CreateCondBr(builder_.CreateICmpSGT(rows_, i64(0)), multiply, done);
    builder_.SetInsertPoint(multiply);
    const std::int64_t width = schedule_.panel_width();
    auto [first_panel, end_panel] = team_->share(builder_, i64((cols + width - 1) / width));
    loop(builder_.CreateSub(end_panel, first_panel), "pack_gradient_operand", [&](llvm::Value* i) {
      llvm::Value* first_column = builder_.CreateMul(builder_.CreateAdd(first_panel, i), i64(width));
      llvm::Value* columns = builder_.CreateSub(i64(cols), first_column);
      columns = builder_.CreateSelect(builder_.CreateICmpSLT(columns, i64(width)), columns, i64(width));
      // Vᵀ[j][r] = V[r][j]: row stride 1, k stride V's row stride.
      builder_.CreateCall(gemm_pack_function(module_, schedule_),
                          {offset(v.base, first_column), offset(packed, builder_.CreateMul(first_column, rows_)),
                           columns, rows_, i64(1), v.stride});
    });
    team_->barrier(builder_);
    shared_gemm(i64(rows), g.base, i64(1), g.stride, packed, target, i64(cols), cols, rows_, /*accumulate=*/true);
    builder_.CreateBr(done);
    builder_.SetInsertPoint(done);
  }

  // ---- values ---------------------------------------------------------------
  // `row` is the global row t·B + b; `sample` is b (null outside the loop).
  Access access(NodeId id, llvm::Value* row, llvm::Value* sample) {
    const Node& node = graph_.node(id);
    if (node.op == Op::Constant) return {nullptr, llvm::ConstantFP::get(f32_, node.constant), 1};
    return {strided(id, row, sample).base, nullptr, element_count(node.shape)};
  }

  // Where a computed (or kept) value is stored for this row.
  llvm::Value* stored(NodeId id, llvm::Value* row, llvm::Value* sample) {
    const ValuePlacement& placement = plan_.values[std::size_t(id)];
    if (placement.all_rows) {
      return offset(all_rows_base_, builder_.CreateAdd(builder_.CreateMul(row, i64(plan_.all_rows_floats)),
                                                       i64(placement.offset)));
    }
    return offset(step_base_, builder_.CreateAdd(builder_.CreateMul(sample, i64(plan_.step_floats)),
                                                 i64(placement.offset)));
  }

  Access state_access(int state, llvm::Value* sample) {
    return {state_row(states_, sample, state_offset(state)), nullptr,
            element_count(graph_.states[std::size_t(state)].shape)};
  }

  // Row `row` of the k-th RowBuffer in an array argument.
  llvm::Value* row_of(llvm::Value* buffers, std::size_t k, llvm::Value* row) {
    llvm::Value* entry = builder_.CreateGEP(row_buffer_, buffers, i64(std::int64_t(k)));
    llvm::Value* data = builder_.CreateLoad(ptr_, builder_.CreateStructGEP(row_buffer_, entry, 0));
    llvm::Value* stride = builder_.CreateLoad(i64_, builder_.CreateStructGEP(row_buffer_, entry, 1));
    return offset(data, builder_.CreateMul(row, stride));
  }

  llvm::Value* element(const Access& value, llvm::Value* index) {
    if (value.constant) return value.constant;
    llvm::Value* position = value.length == 1 ? i64(0) : index;
    return builder_.CreateLoad(f32_, builder_.CreateGEP(f32_, value.base, position));
  }

  void store(llvm::Value* destination, llvm::Value* index, llvm::Value* value) {
    builder_.CreateStore(value, builder_.CreateGEP(f32_, destination, index));
  }

  // ---- one node for one row -------------------------------------------------
  // All of its elements, or for an elementwise node (unary, binary,
  // broadcast) the `count` elements from `first`.
  void compute(NodeId id, llvm::Value* row, llvm::Value* sample, llvm::Value* first = nullptr,
               llvm::Value* count = nullptr) {
    const Node& node = graph_.node(id);
    llvm::Value* destination = stored(id, row, sample);
    std::int64_t length = element_count(node.shape);
    std::vector<Access> operands;
    for (NodeId operand : node.operands) operands.push_back(access(operand, row, sample));
    if (!first) {
      first = i64(0);
      count = i64(length);
    }
    auto elements = [&](const char* name, const std::function<llvm::Value*(llvm::Value*)>& value) {
      loop(count, name, [&](llvm::Value* i) {
        llvm::Value* j = builder_.CreateAdd(first, i);
        store(destination, j, value(j));
      });
    };
    switch (op_class(node.op)) {
      case OpClass::Unary:
        elements("unary", [&](llvm::Value* j) { return unary(node.op, element(operands[0], j)); });
        return;
      case OpClass::Binary:
        elements("binary",
                 [&](llvm::Value* j) { return binary(node.op, element(operands[0], j), element(operands[1], j)); });
        return;
      case OpClass::Broadcast:
        elements("broadcast", [&](llvm::Value*) { return element(operands[0], i64(0)); });
        return;
      case OpClass::Concat: {
        std::int64_t position = 0;
        for (const Access& part : operands) {
          copy(part, offset(destination, i64(position)), part.length);
          position += part.length;
        }
        return;
      }
      case OpClass::Reduce: {
        llvm::Value* total = reduce(operands[0]);
        if (node.op == Op::Mean) total = builder_.CreateFDiv(total, llvm::ConstantFP::get(f32_, double(operands[0].length)));
        store(destination, i64(0), total);
        return;
      }
      case OpClass::Softmax: softmax(operands[0], destination, length); return;
      case OpClass::Pad: {
        loop(i64(length), "pad", [&](llvm::Value* j) { store(destination, j, llvm::ConstantFP::get(f32_, 0.0)); });
        copy(operands[0], offset(destination, i64(node.slice_begin.constant_value())), operands[0].length);
        return;
      }
      default: RNNC_ASSERT(false, std::string("no per-row code for ") + op_mnemonic(node.op));
    }
  }

  void softmax(const Access& x, llvm::Value* destination, std::int64_t length) {
    // Subtracting the maximum keeps exp() from overflowing.
    llvm::Value* largest = reduce(x, /*maximum=*/true);
    loop(i64(length), "softmax_exp", [&](llvm::Value* j) {
      store(destination, j, emit_exp(builder_, builder_.CreateFSub(element(x, j), largest), MathAccuracy::Exact));
    });
    llvm::Value* total = reduce({destination, nullptr, length});
    llvm::Value* inverse = builder_.CreateFDiv(llvm::ConstantFP::get(f32_, 1.0), total);
    loop(i64(length), "softmax_scale", [&](llvm::Value* j) {
      store(destination, j, builder_.CreateFMul(element({destination, nullptr, length}, j), inverse));
    });
  }

  // The sum (or maximum) of a value's elements; the sum is reassociable so
  // that LLVM can vectorize it.
  llvm::Value* reduce(const Access& x, bool maximum = false) {
    llvm::Value* initial = maximum ? llvm::ConstantFP::getInfinity(f32_, true) : llvm::ConstantFP::get(f32_, 0.0);
    llvm::BasicBlock* before = builder_.GetInsertBlock();
    llvm::BasicBlock* header = llvm::BasicBlock::Create(context_, "reduce", function_);
    llvm::BasicBlock* done = llvm::BasicBlock::Create(context_, "reduce_done", function_);
    builder_.CreateBr(header);
    builder_.SetInsertPoint(header);
    llvm::PHINode* index = builder_.CreatePHI(i64_, 2);
    llvm::PHINode* accumulator = builder_.CreatePHI(f32_, 2);
    index->addIncoming(i64(0), before);
    accumulator->addIncoming(initial, before);
    llvm::Value* term = element(x, index);
    llvm::Value* next;
    if (maximum) {
      next = builder_.CreateSelect(builder_.CreateFCmpOLT(accumulator, term), term, accumulator);
    } else {
      next = builder_.CreateFAdd(accumulator, term);
      llvm::cast<llvm::Instruction>(next)->setFastMathFlags(reassociable());
    }
    llvm::Value* next_index = builder_.CreateAdd(index, i64(1));
    index->addIncoming(next_index, builder_.GetInsertBlock());
    accumulator->addIncoming(next, builder_.GetInsertBlock());
    keep_rolled(builder_.CreateCondBr(builder_.CreateICmpSLT(next_index, i64(x.length)), header, done));
    builder_.SetInsertPoint(done);
    return next;
  }

  // ---- scalar operations ------------------------------------------------------
  llvm::Value* unary(Op op, llvm::Value* x) {
    llvm::Value* zero = llvm::ConstantFP::get(f32_, 0.0);
    llvm::Value* one = llvm::ConstantFP::get(f32_, 1.0);
    switch (op) {
      case Op::Neg: return builder_.CreateFNeg(x);
      // Transcendentals are emitted inline (vector_math.h, a few ulp), so
      // the loops around them vectorize; libm calls would not.
      case Op::Sigmoid: return emit_sigmoid(builder_, x, MathAccuracy::Exact);
      case Op::Tanh: return emit_tanh(builder_, x, MathAccuracy::Exact);
      case Op::Relu: return builder_.CreateSelect(builder_.CreateFCmpOGT(x, zero), x, zero);
      case Op::Exp: return emit_exp(builder_, x, MathAccuracy::Exact);
      case Op::Log: return emit_log(builder_, x, MathAccuracy::Exact);
      case Op::Sqrt: return intrinsic(llvm::Intrinsic::sqrt, x);
      case Op::Abs: return intrinsic(llvm::Intrinsic::fabs, x);
      case Op::Softplus: return emit_softplus(builder_, x, MathAccuracy::Exact);
      case Op::Step: return builder_.CreateSelect(builder_.CreateFCmpOGT(x, zero), one, zero);
      case Op::Sign:
        return builder_.CreateSelect(builder_.CreateFCmpOGT(x, zero), one,
                                     builder_.CreateSelect(builder_.CreateFCmpOLT(x, zero), builder_.CreateFNeg(one), zero));
      default: RNNC_ASSERT(false, std::string("not a unary operation: ") + op_mnemonic(op));
    }
  }

  llvm::Value* binary(Op op, llvm::Value* a, llvm::Value* b) {
    switch (op) {
      case Op::Add: return builder_.CreateFAdd(a, b);
      case Op::Sub: return builder_.CreateFSub(a, b);
      case Op::Mul: return builder_.CreateFMul(a, b);
      case Op::Div: return builder_.CreateFDiv(a, b);
      case Op::Max: return builder_.CreateSelect(builder_.CreateFCmpOLT(a, b), b, a);  // std::max
      case Op::Min: return builder_.CreateSelect(builder_.CreateFCmpOLT(b, a), b, a);  // std::min
      case Op::GreaterEqual:
        return builder_.CreateSelect(builder_.CreateFCmpOGE(a, b), llvm::ConstantFP::get(f32_, 1.0),
                                     llvm::ConstantFP::get(f32_, 0.0));
      default: RNNC_ASSERT(false, std::string("not a binary operation: ") + op_mnemonic(op));
    }
  }

  llvm::Value* intrinsic(llvm::Intrinsic::ID id, llvm::Value* x) {
    return builder_.CreateCall(llvm::Intrinsic::getDeclaration(&module_, id, {f32_}), {x});
  }

  // ---- helpers ------------------------------------------------------------------
  static llvm::FastMathFlags reassociable() {
    llvm::FastMathFlags flags;
    flags.setAllowReassoc();
    flags.setAllowContract();
    return flags;
  }

  // Sets flush-to-zero and denormals-are-zero for the kernel's duration:
  // denormals can slow recurrent training by an order of magnitude.
  llvm::Value* flush_denormals() {
    llvm::Value* slot = builder_.CreateAlloca(builder_.getInt32Ty());
    builder_.CreateCall(llvm::Intrinsic::getDeclaration(&module_, llvm::Intrinsic::x86_sse_stmxcsr), {slot});
    llvm::Value* saved = builder_.CreateLoad(builder_.getInt32Ty(), slot);
    builder_.CreateStore(builder_.CreateOr(saved, builder_.getInt32(0x8040)), slot);  // FTZ | DAZ
    builder_.CreateCall(llvm::Intrinsic::getDeclaration(&module_, llvm::Intrinsic::x86_sse_ldmxcsr), {slot});
    llvm::Value* restore = builder_.CreateAlloca(builder_.getInt32Ty());
    builder_.CreateStore(saved, restore);
    return restore;
  }

  void copy(const Access& source, llvm::Value* destination, std::int64_t length) {
    copy_range(source, destination, i64(0), i64(length));
  }

  // Elements [first, first + count).
  void copy_range(const Access& source, llvm::Value* destination, llvm::Value* first, llvm::Value* count) {
    loop(count, "copy", [&](llvm::Value* i) {
      llvm::Value* j = builder_.CreateAdd(first, i);
      store(destination, j, element(source, j));
    });
  }

  llvm::Value* state_row(llvm::Value* base, llvm::Value* sample, std::int64_t state_offset) {
    return offset(base, builder_.CreateAdd(builder_.CreateMul(sample, i64(plan_.state_floats)), i64(state_offset)));
  }

  std::int64_t state_offset(int state) const {
    std::int64_t result = 0;
    for (int s = 0; s < state; ++s) result += element_count(graph_.states[std::size_t(s)].shape);
    return result;
  }

  // The i-th pointer of a pointer-array argument.
  llvm::Value* argument(llvm::Value* array, std::size_t i) {
    return builder_.CreateLoad(ptr_, builder_.CreateGEP(ptr_, array, i64(std::int64_t(i))));
  }

  llvm::Value* offset(llvm::Value* base, llvm::Value* floats) { return builder_.CreateGEP(f32_, base, floats); }
  llvm::Value* i64(std::int64_t value) { return llvm::ConstantInt::get(i64_, value); }

  void loop(llvm::Value* count, const char* name, const std::function<void(llvm::Value*)>& body) {
    emit_loop(builder_, count, name, body);
  }

  // The loop over [0, count) with each thread running its share.
  void loop_share(llvm::Value* count, const char* name, const std::function<void(llvm::Value*)>& body) {
    auto [begin, end] = team_->share(builder_, count);
    emit_loop(builder_, builder_.CreateSub(end, begin), name,
              [&](llvm::Value* i) { body(builder_.CreateAdd(begin, i)); });
  }

  const Graph& graph_;
  const SequencePlan& plan_;
  const GemmSchedule& schedule_;
  llvm::Module& module_;
  llvm::LLVMContext& context_;
  llvm::IRBuilder<> builder_;
  llvm::Type* f32_;
  llvm::Type* i64_;
  llvm::Type* ptr_;
  llvm::StructType* row_buffer_;
  llvm::Function* function_ = nullptr;
  llvm::Value *steps_ = nullptr, *batch_ = nullptr, *rows_ = nullptr, *sources_ = nullptr;
  llvm::Value *initial_states_ = nullptr, *final_states_ = nullptr, *sinks_ = nullptr;
  llvm::Value *params_ = nullptr, *param_gradients_ = nullptr, *packed_weights_ = nullptr;
  llvm::Value *all_rows_base_ = nullptr, *step_base_ = nullptr;
  llvm::Value* state_buffers_[2] = {nullptr, nullptr};
  llvm::Value *states_ = nullptr, *next_states_ = nullptr;  // this step's, and where its next states go
  llvm::Value* gradient_base_ = nullptr;
  const ThreadTeam* team_ = nullptr;
  bool in_step_ = false;
};

}  // namespace

void emit_sequence_kernel(const Graph& graph, const SequencePlan& plan, const std::string& name, llvm::Module& module) {
  SequenceEmitter(graph, plan, module).run(name);
}

}  // namespace rnnc
