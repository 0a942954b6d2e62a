#include "codegen/loops.h"

#include <string>
#include <vector>

namespace rnnc {

void emit_loop(llvm::IRBuilder<>& builder, llvm::Value* count, const char* name,
               const std::function<void(llvm::Value*)>& body) {
  llvm::Function* function = builder.GetInsertBlock()->getParent();
  llvm::LLVMContext& context = builder.getContext();
  llvm::Type* i64 = builder.getInt64Ty();
  llvm::BasicBlock* before = builder.GetInsertBlock();
  llvm::BasicBlock* header = llvm::BasicBlock::Create(context, name, function);
  llvm::BasicBlock* done = llvm::BasicBlock::Create(context, std::string(name) + "_done", function);
  builder.CreateCondBr(builder.CreateICmpSGT(count, llvm::ConstantInt::get(i64, 0)), header, done);
  builder.SetInsertPoint(header);
  llvm::PHINode* index = builder.CreatePHI(i64, 2, std::string(name) + "_i");
  index->addIncoming(llvm::ConstantInt::get(i64, 0), before);
  body(index);
  llvm::Value* next = builder.CreateAdd(index, llvm::ConstantInt::get(i64, 1));
  index->addIncoming(next, builder.GetInsertBlock());
  builder.CreateCondBr(builder.CreateICmpSLT(next, count), header, done);
  builder.SetInsertPoint(done);
}

void emit_vector_loop(llvm::IRBuilder<>& builder, llvm::Value* count, int width, const char* name,
                      const VectorBody& body, bool whole_vectors) {
  llvm::Value* lanes = builder.getInt64(std::uint64_t(width));
  llvm::Value* vectors = builder.CreateUDiv(count, lanes);  // count >= 0
  emit_loop(builder, vectors, name, [&](llvm::Value* i) { body(builder.CreateMul(i, lanes), nullptr); });
  if (whole_vectors) return;
  llvm::Value* done = builder.CreateMul(vectors, lanes);
  llvm::Value* remaining = builder.CreateSub(count, done);
  auto* constant = llvm::dyn_cast<llvm::ConstantInt>(remaining);
  if (constant && constant->getSExtValue() <= 0) return;
  auto partial = [&] { body(done, emit_lane_mask(builder, remaining, width)); };
  if (constant) {
    partial();
  } else {
    emit_if_then(builder, builder.CreateICmpSGT(remaining, builder.getInt64(0)), name, partial);
  }
}

llvm::Value* emit_lane_mask(llvm::IRBuilder<>& builder, llvm::Value* remaining, int width) {
  std::vector<llvm::Constant*> indices;
  for (int lane = 0; lane < width; ++lane) indices.push_back(builder.getInt32(std::uint32_t(lane)));
  llvm::Value* limit = builder.CreateVectorSplat(unsigned(width), builder.CreateTrunc(remaining, builder.getInt32Ty()));
  return builder.CreateICmpULT(llvm::ConstantVector::get(indices), limit);
}

void emit_if_then(llvm::IRBuilder<>& builder, llvm::Value* condition, const char* name,
                  const std::function<void()>& body) {
  llvm::Function* function = builder.GetInsertBlock()->getParent();
  llvm::BasicBlock* then = llvm::BasicBlock::Create(builder.getContext(), name, function);
  llvm::BasicBlock* done = llvm::BasicBlock::Create(builder.getContext(), std::string(name) + "_done", function);
  builder.CreateCondBr(condition, then, done);
  builder.SetInsertPoint(then);
  body();
  builder.CreateBr(done);
  builder.SetInsertPoint(done);
}

}  // namespace rnnc
