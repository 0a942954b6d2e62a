#include "codegen/loops.h"

#include <string>
#include <vector>

namespace rnnc {

void keep_rolled(llvm::BranchInst* back_edge, bool vectorize) {
  llvm::LLVMContext& context = back_edge->getContext();
  std::vector<llvm::Metadata*> operands = {
      nullptr, llvm::MDNode::get(context, {llvm::MDString::get(context, "llvm.loop.unroll.disable")})};
  if (!vectorize) {
    operands.push_back(llvm::MDNode::get(
        context, {llvm::MDString::get(context, "llvm.loop.vectorize.enable"),
                  llvm::ConstantAsMetadata::get(llvm::ConstantInt::getFalse(context))}));
  }
  llvm::MDNode* loop_id = llvm::MDNode::getDistinct(context, operands);
  loop_id->replaceOperandWith(0, loop_id);
  back_edge->setMetadata(llvm::LLVMContext::MD_loop, loop_id);
}

void emit_loop(llvm::IRBuilder<>& builder, llvm::Value* count, const char* name,
               const std::function<void(llvm::Value*)>& body, bool vectorize) {
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
  keep_rolled(builder.CreateCondBr(builder.CreateICmpSLT(next, count), header, done), vectorize);
  builder.SetInsertPoint(done);
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
