#include "codegen/product_codegen.h"

#include "codegen/gemm.h"
#include "codegen/loops.h"
#include "codegen/pointwise_codegen.h"

namespace rnnc {

namespace {

// C (=, +=) A Wᵀ for `n` columns with the threads sharing W's panels (C's
// columns), then a barrier. The call's packed, c and n are those of all
// columns; each thread multiplies its panels.
void shared_gemm(KernelFrame& frame, GemmCall call, std::int64_t n) {
  llvm::IRBuilder<>& b = frame.builder();
  llvm::LLVMContext& context = b.getContext();
  const std::int64_t width = frame.plan().schedule.panel_width();
  auto [first_panel, end_panel] = frame.team().share(b, frame.i64((n + width - 1) / width));
  llvm::BasicBlock* multiply = llvm::BasicBlock::Create(context, "gemm_part", frame.function());
  llvm::BasicBlock* done = llvm::BasicBlock::Create(context, "gemm_part_done", frame.function());
  b.CreateCondBr(b.CreateICmpSLT(first_panel, end_panel), multiply, done);
  b.SetInsertPoint(multiply);
  llvm::Value* first_column = b.CreateMul(first_panel, frame.i64(width));
  llvm::Value* end_column = b.CreateMul(end_panel, frame.i64(width));
  end_column = b.CreateSelect(b.CreateICmpSLT(end_column, frame.i64(n)), end_column, frame.i64(n));
  call.packed = frame.offset(call.packed, b.CreateMul(first_column, call.k));
  call.c = frame.offset(call.c, first_column);
  call.n = b.CreateSub(end_column, first_column);
  emit_gemm_call(b, frame.plan().schedule, call);
  b.CreateBr(done);
  b.SetInsertPoint(done);
  frame.team().barrier(b);
}

}  // namespace

void emit_product(KernelFrame& frame, NodeId id, llvm::Value* M, llvm::Value* first_row, llvm::Value* first_sample,
                  llvm::Value* by_rows) {
  llvm::IRBuilder<>& b = frame.builder();
  llvm::LLVMContext& context = b.getContext();
  const Node& node = frame.graph().node(id);
  const ProductPlan& weights = frame.plan().product(id);
  if (weights.owner != id) return;
  const std::int64_t k = weights.k, n = weights.n;
  Strided a = frame.strided(node.operands[0], first_row, first_sample);
  Strided c = frame.strided(id, first_row, first_sample);
  llvm::Value* packed = frame.offset(frame.packed_weights(), frame.i64(weights.packed_offset));
  llvm::BasicBlock* rows_block = llvm::BasicBlock::Create(context, "gemm_by_rows", frame.function());
  llvm::BasicBlock* columns_block = llvm::BasicBlock::Create(context, "gemm_by_columns", frame.function());
  llvm::BasicBlock* done = llvm::BasicBlock::Create(context, "gemm_shared", frame.function());
  b.CreateCondBr(by_rows, rows_block, columns_block);
  b.SetInsertPoint(rows_block);
  auto [begin, end] = frame.team().share(b, M);
  emit_gemm_call(b, frame.plan().schedule,
                 {b.CreateSub(end, begin), frame.offset(a.base, b.CreateMul(begin, a.stride)), a.stride, frame.i64(1),
                  packed, frame.offset(c.base, b.CreateMul(begin, c.stride)), c.stride, frame.i64(n), frame.i64(k),
                  nullptr, nullptr, false});
  b.CreateBr(done);
  b.SetInsertPoint(columns_block);
  shared_gemm(frame, {M, a.base, a.stride, frame.i64(1), packed, c.base, c.stride, nullptr, frame.i64(k)}, n);
  b.CreateBr(done);
  b.SetInsertPoint(done);
}

void emit_unit_block_product(KernelFrame& frame, NodeId id, llvm::Value* first_row, llvm::Value* first_unit,
                             llvm::Value* width) {
  llvm::IRBuilder<>& b = frame.builder();
  const Node& node = frame.graph().node(id);
  const ProductPlan& weights = frame.plan().product(id);
  const std::int64_t k = weights.k, unit = frame.plan().step_unit;
  // The member's columns within the group's results (and packed panels).
  llvm::Value* first_column = b.CreateAdd(frame.i64(weights.member_column), first_unit);
  Strided a = frame.strided(node.operands[0], first_row, frame.i64(0));
  Strided c = frame.strided(weights.owner, first_row, frame.i64(0));
  llvm::Value* packed = frame.offset(frame.packed_weights(), b.CreateAdd(frame.i64(weights.packed_offset),
                                                                          b.CreateMul(first_column, frame.i64(k))));
  emit_gemm_call(b, frame.plan().schedule,
                 {frame.batch(), a.base, a.stride, frame.i64(1), packed, frame.offset(c.base, first_column), c.stride,
                  width, frame.i64(k), frame.i64(element_count(node.shape) / unit), frame.i64(unit), false});
}

// Parameter gradients are sums over all T·B rows, after the time loop: an
// Outer contribution g vᵀ becomes one product Gᵀ V over the rows instead of
// an accumulation per step.
void emit_param_gradient(KernelFrame& frame, const ParamGradient& gradient) {
  llvm::IRBuilder<>& b = frame.builder();
  llvm::LLVMContext& context = b.getContext();
  const Node& node = frame.graph().node(gradient.node);
  llvm::Value* target = frame.param_gradient(std::size_t(gradient.param));
  if (node.op != Op::Outer) {
    // Row after row, so that each row is read once; the threads share the
    // elements.
    std::int64_t length = element_count(node.shape);
    auto [begin, end] = frame.team().share(b, frame.i64(length));
    frame.loop(frame.rows(), "gradient_rows", [&](llvm::Value* row) {
      emit_accumulate(b, frame.plan().schedule.vector_width, frame.access(gradient.node, row, nullptr), target, begin,
                      b.CreateSub(end, begin));
    });
    return;
  }
  // dW += Gᵀ V over all R rows, as the GEMM C = A Wᵀ with A = Gᵀ and
  // W = Vᵀ: A is read straight from G's rows (A[m][r] = G[r][m]: row
  // stride 1, k stride G's row stride), Vᵀ packed straight from V's rows,
  // then multiplied. Threads share the panels of Vᵀ and the columns of dW.
  std::int64_t rows = node.shape.rows.constant_value(), cols = node.shape.cols.constant_value();
  Strided g = frame.strided(node.operands[0], frame.i64(0), nullptr);
  Strided v = frame.strided(node.operands[1], frame.i64(0), nullptr);
  llvm::Value* packed = frame.gradient_operand();
  llvm::BasicBlock* multiply = llvm::BasicBlock::Create(context, "gradient_gemm", frame.function());
  llvm::BasicBlock* done = llvm::BasicBlock::Create(context, "gradient_done", frame.function());
  b.CreateCondBr(b.CreateICmpSGT(frame.rows(), frame.i64(0)), multiply, done);
  b.SetInsertPoint(multiply);
  const std::int64_t width = frame.plan().schedule.panel_width();
  auto [first_panel, end_panel] = frame.team().share(b, frame.i64((cols + width - 1) / width));
  frame.loop(b.CreateSub(end_panel, first_panel), "pack_gradient_operand", [&](llvm::Value* i) {
    llvm::Value* first_column = b.CreateMul(b.CreateAdd(first_panel, i), frame.i64(width));
    llvm::Value* columns = b.CreateSub(frame.i64(cols), first_column);
    columns = b.CreateSelect(b.CreateICmpSLT(columns, frame.i64(width)), columns, frame.i64(width));
    // Vᵀ[j][r] = V[r][j]: row stride 1, k stride V's row stride.
    b.CreateCall(gemm_pack_function(*b.GetInsertBlock()->getModule(), frame.plan().schedule),
                 {frame.offset(v.base, first_column), frame.offset(packed, b.CreateMul(first_column, frame.rows())),
                  columns, frame.rows(), frame.i64(1), v.stride});
  });
  frame.team().barrier(b);
  shared_gemm(frame, {frame.i64(rows), g.base, frame.i64(1), g.stride, packed, target, frame.i64(cols), nullptr,
                      frame.rows(), nullptr, nullptr, true},
              cols);
  b.CreateBr(done);
  b.SetInsertPoint(done);
}

}  // namespace rnnc
