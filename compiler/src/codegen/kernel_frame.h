// The frame of a whole-sequence kernel (sequence_codegen.h): its entry on
// a thread team, the arguments and the scratch layout of the plan, and
// where every value of the step graph lives for a row, inside the time
// loop or outside it. Scratch, in this order:
//   all-rows values   T·B rows of SequencePlan::all_rows_floats
//   step values       B samples of step_floats (one step's Recurrent values)
//   states            two buffers of B·state_floats that swap roles every
//                     step: a step reads one and writes the next states into
//                     the other, so that no thread overwrites a state
//                     another may still read (the step's one barrier is
//                     enough)
//   gradient operand  the packed operand of the weight-gradient products
// The row-local values are on each thread's stack.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Module.h>

#include "codegen/pointwise_codegen.h"
#include "codegen/thread_team.h"
#include "rnnc/ir.h"
#include "rnnc/kernel_plan.h"

namespace rnnc {

// A value for a run of consecutive rows: row i at base + i·stride floats.
struct Strided {
  llvm::Value* base;
  llvm::Value* stride;
};

class KernelFrame {
 public:
  // Emits the kernel's entry and the start of its worker, loads the
  // arguments and sets the float mode (target.h); the builder is then in
  // the worker.
  KernelFrame(const Graph& graph, const SequencePlan& plan, llvm::Module& module, const std::string& name);
  // Restores the float mode and returns.
  void finish();

  const Graph& graph() const { return graph_; }
  const SequencePlan& plan() const { return plan_; }
  llvm::IRBuilder<>& builder() { return builder_; }
  const ThreadTeam& team() const { return team_; }
  llvm::Function* function() const { return team_.worker(); }

  // The arguments (sequence_codegen.h) and the scratch's regions.
  llvm::Value* steps() const { return steps_; }
  llvm::Value* batch() const { return batch_; }
  llvm::Value* rows() const { return rows_; }  // steps · batch
  llvm::Value* packed_weights() const { return packed_weights_; }
  llvm::Value* gradient_operand() const { return gradient_base_; }
  llvm::Value* param(std::size_t p) { return argument(params_, p); }
  llvm::Value* param_gradient(std::size_t p) { return argument(param_gradients_, p); }
  llvm::Value* sink_row(std::size_t k, llvm::Value* row) { return row_of(sinks_, k, row); }
  llvm::Value* initial_state(std::size_t s) { return argument(initial_states_, s); }
  llvm::Value* final_state(std::size_t s) { return argument(final_states_, s); }

  // The state buffers: the initial one before the loop; in step `counter`
  // (0, 1, ...) the one the step reads and the one it writes; after `count`
  // steps, the one that holds the final states.
  void use_initial_states();
  void enter_step(llvm::Value* counter);
  void leave_loop(llvm::Value* count);
  bool in_step() const { return in_step_; }
  llvm::Value* states() const { return states_; }
  llvm::Value* next_states() const { return next_states_; }

  // Where a value lives for row `row` (t·B + b) and, in the time loop,
  // sample `sample` (b; null outside it): a run of rows, one row, or the
  // place a computed (or kept) value is stored.
  Strided strided(NodeId id, llvm::Value* first_row, llvm::Value* first_sample);
  Access access(NodeId id, llvm::Value* row, llvm::Value* sample);
  llvm::Value* stored(NodeId id, llvm::Value* row, llvm::Value* sample);
  Access state_access(int state, llvm::Value* sample);
  // Sample `sample`'s row of the state buffer `base`, at `state_offset`.
  llvm::Value* state_row(llvm::Value* base, llvm::Value* sample, std::int64_t state_offset);
  std::int64_t state_offset(int state) const;

  llvm::Value* offset(llvm::Value* base, llvm::Value* floats) { return builder_.CreateGEP(f32_, base, floats); }
  llvm::Value* i64(std::int64_t value) { return llvm::ConstantInt::get(i64_, value); }
  void loop(llvm::Value* count, const char* name, const std::function<void(llvm::Value*)>& body);
  // The loop over [0, count) with each thread running its share.
  void loop_share(llvm::Value* count, const char* name, const std::function<void(llvm::Value*)>& body);

 private:
  // The i-th pointer of a pointer-array argument; row `row` of the k-th
  // RowBuffer of an array argument.
  llvm::Value* argument(llvm::Value* array, std::size_t i);
  llvm::Value* row_of(llvm::Value* buffers, std::size_t k, llvm::Value* row);

  const Graph& graph_;
  const SequencePlan& plan_;
  llvm::LLVMContext& context_;
  llvm::IRBuilder<> builder_;
  llvm::Type* f32_;
  llvm::Type* i64_;
  llvm::Type* ptr_;
  llvm::StructType* row_buffer_;
  ThreadTeam team_;
  llvm::Value *steps_ = nullptr, *batch_ = nullptr, *rows_ = nullptr, *sources_ = nullptr;
  llvm::Value *initial_states_ = nullptr, *final_states_ = nullptr, *sinks_ = nullptr;
  llvm::Value *params_ = nullptr, *param_gradients_ = nullptr, *packed_weights_ = nullptr;
  llvm::Value* saved_float_mode_ = nullptr;
  llvm::Value *all_rows_base_ = nullptr, *step_base_ = nullptr;
  llvm::Value* state_buffers_[2] = {nullptr, nullptr};
  llvm::Value *states_ = nullptr, *next_states_ = nullptr;
  llvm::Value* gradient_base_ = nullptr;
  llvm::Value* row_local_base_ = nullptr;  // on the worker's stack
  bool in_step_ = false;
};

}  // namespace rnnc
