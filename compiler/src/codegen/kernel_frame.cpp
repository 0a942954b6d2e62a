#include "codegen/kernel_frame.h"

#include "codegen/loops.h"
#include "codegen/target.h"
#include "rnnc/internal_error.h"

namespace rnnc {

namespace {

// The types of the kernel's arguments (sequence_codegen.h).
std::vector<llvm::Type*> argument_types(llvm::LLVMContext& context) {
  llvm::Type* i64 = llvm::Type::getInt64Ty(context);
  llvm::Type* ptr = llvm::PointerType::getUnqual(context);
  return {i64, i64, ptr, ptr, ptr, ptr, ptr, ptr, ptr, ptr};
}

}  // namespace

KernelFrame::KernelFrame(const Graph& graph, const SequencePlan& plan, llvm::Module& module, const std::string& name)
    : graph_(graph),
      plan_(plan),
      context_(module.getContext()),
      builder_(context_),
      f32_(builder_.getFloatTy()),
      i64_(builder_.getInt64Ty()),
      ptr_(builder_.getPtrTy()),
      row_buffer_(llvm::StructType::get(context_, {ptr_, i64_})),
      team_(module, name, argument_types(context_)) {
  builder_.SetInsertPoint(team_.body());
  auto argument = [&](unsigned i) { return team_.argument(builder_, i); };
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

  saved_float_mode_ = emit_flush_denormals(builder_);
  rows_ = builder_.CreateMul(steps_, batch_, "rows");
  all_rows_base_ = scratch;
  step_base_ = offset(all_rows_base_, builder_.CreateMul(rows_, i64(plan_.all_rows_floats)));
  state_buffers_[0] = offset(step_base_, builder_.CreateMul(batch_, i64(plan_.step_floats)));
  state_buffers_[1] = offset(state_buffers_[0], builder_.CreateMul(batch_, i64(plan_.state_floats)));
  gradient_base_ = offset(state_buffers_[1], builder_.CreateMul(batch_, i64(plan_.state_floats)));
  if (plan_.row_local_floats > 0) {
    llvm::BasicBlock& entry = team_.worker()->getEntryBlock();
    llvm::IRBuilder<> at_entry(&entry, entry.begin());  // a static alloca, once per thread
    llvm::AllocaInst* row_local = at_entry.CreateAlloca(
        llvm::ArrayType::get(f32_, std::uint64_t(plan_.row_local_floats)), nullptr, "row_local");
    row_local->setAlignment(llvm::Align(64));
    row_local_base_ = row_local;
  }
}

void KernelFrame::finish() {
  emit_restore_float_mode(builder_, saved_float_mode_);
  builder_.CreateRetVoid();
}

void KernelFrame::use_initial_states() { states_ = state_buffers_[0]; }

void KernelFrame::enter_step(llvm::Value* counter) {
  llvm::Value* odd = builder_.CreateTrunc(counter, builder_.getInt1Ty());
  states_ = builder_.CreateSelect(odd, state_buffers_[1], state_buffers_[0]);
  next_states_ = builder_.CreateSelect(odd, state_buffers_[0], state_buffers_[1]);
  in_step_ = true;
}

void KernelFrame::leave_loop(llvm::Value* count) {
  states_ = builder_.CreateSelect(builder_.CreateTrunc(count, builder_.getInt1Ty()), state_buffers_[1],
                                  state_buffers_[0]);
  in_step_ = false;
}

Strided KernelFrame::strided(NodeId id, llvm::Value* first_row, llvm::Value* first_sample) {
  const Node& node = graph_.node(id);
  const ValuePlacement& placement = plan_.values[std::size_t(id)];
  if (placement.row_local) return {stored(id, first_row, first_sample), i64(0)};
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

Access KernelFrame::access(NodeId id, llvm::Value* row, llvm::Value* sample) {
  const Node& node = graph_.node(id);
  if (node.op == Op::Constant) return {nullptr, llvm::ConstantFP::get(f32_, node.constant), 1};
  NodeId owner = storage_owner(graph_, id);
  if (plan_.values[std::size_t(owner)].inlined) {
    Access value(nullptr, nullptr, element_count(node.shape));
    value.expression = &graph_.node(owner);
    value.shift = storage_offset(graph_, id);
    for (NodeId operand : graph_.node(owner).operands) value.terms.push_back(access(operand, row, sample));
    return value;
  }
  return {strided(id, row, sample).base, nullptr, element_count(node.shape)};
}

llvm::Value* KernelFrame::stored(NodeId id, llvm::Value* row, llvm::Value* sample) {
  const ValuePlacement& placement = plan_.values[std::size_t(id)];
  RNNC_ASSERT(!placement.inlined, "an inlined value has no storage");
  if (placement.row_local) return offset(row_local_base_, i64(placement.offset));
  if (placement.all_rows) {
    return offset(all_rows_base_,
                  builder_.CreateAdd(builder_.CreateMul(row, i64(plan_.all_rows_floats)), i64(placement.offset)));
  }
  return offset(step_base_, builder_.CreateAdd(builder_.CreateMul(sample, i64(plan_.step_floats)),
                                               i64(placement.offset)));
}

Access KernelFrame::state_access(int state, llvm::Value* sample) {
  return {state_row(states_, sample, state_offset(state)), nullptr,
          element_count(graph_.states[std::size_t(state)].shape)};
}

llvm::Value* KernelFrame::state_row(llvm::Value* base, llvm::Value* sample, std::int64_t state_offset) {
  return offset(base, builder_.CreateAdd(builder_.CreateMul(sample, i64(plan_.state_floats)), i64(state_offset)));
}

std::int64_t KernelFrame::state_offset(int state) const {
  std::int64_t result = 0;
  for (int s = 0; s < state; ++s) result += element_count(graph_.states[std::size_t(s)].shape);
  return result;
}

void KernelFrame::loop(llvm::Value* count, const char* name, const std::function<void(llvm::Value*)>& body) {
  emit_loop(builder_, count, name, body);
}

void KernelFrame::loop_share(llvm::Value* count, const char* name, const std::function<void(llvm::Value*)>& body) {
  auto [begin, end] = team_.share(builder_, count);
  emit_loop(builder_, builder_.CreateSub(end, begin), name,
            [&](llvm::Value* i) { body(builder_.CreateAdd(begin, i)); });
}

llvm::Value* KernelFrame::argument(llvm::Value* array, std::size_t i) {
  return builder_.CreateLoad(ptr_, builder_.CreateGEP(ptr_, array, i64(std::int64_t(i))));
}

llvm::Value* KernelFrame::row_of(llvm::Value* buffers, std::size_t k, llvm::Value* row) {
  llvm::Value* entry = builder_.CreateGEP(row_buffer_, buffers, i64(std::int64_t(k)));
  llvm::Value* data = builder_.CreateLoad(ptr_, builder_.CreateStructGEP(row_buffer_, entry, 0));
  llvm::Value* stride = builder_.CreateLoad(i64_, builder_.CreateStructGEP(row_buffer_, entry, 1));
  return offset(data, builder_.CreateMul(row, stride));
}

}  // namespace rnnc
