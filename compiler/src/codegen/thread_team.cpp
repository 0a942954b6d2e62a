#include "codegen/thread_team.h"

#include "codegen/loops.h"
#include "codegen/target.h"
#include "rnnc/limits.h"

namespace rnnc {

namespace {

// Spins between looks at the barrier before giving the core away: waits
// are short when every thread has a core, and must not starve a thread
// that has none.
constexpr std::int64_t kSpinsBeforeYield = 1024;

llvm::FunctionCallee libc_function(llvm::Module& module, const char* name, llvm::Type* result,
                                   std::vector<llvm::Type*> parameters) {
  return module.getOrInsertFunction(name, llvm::FunctionType::get(result, parameters, false));
}

}  // namespace

ThreadTeam::ThreadTeam(llvm::Module& module, const std::string& name, const std::vector<llvm::Type*>& arguments)
    : module_(module), argument_count_(unsigned(arguments.size())) {
  llvm::LLVMContext& context = module.getContext();
  llvm::Type* i64 = llvm::Type::getInt64Ty(context);
  std::vector<llvm::Type*> fields = arguments;
  fields.insert(fields.end(), {i64, i64, i64, i64});  // threads, arrived, generation, ready
  context_type_ = llvm::StructType::get(context, fields);
  llvm::Type* ptr = llvm::PointerType::getUnqual(context);
  worker_ = llvm::Function::Create(llvm::FunctionType::get(llvm::Type::getVoidTy(context), {ptr, i64}, false),
                                   llvm::Function::InternalLinkage, name + ".worker", module);
  emit_entry(name, arguments);

  // The worker starts once thread 0 has started every thread it could, so
  // that the count it reads is final.
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(context, "entry", worker_));
  llvm::BasicBlock* wait = llvm::BasicBlock::Create(context, "wait_for_team", worker_);
  llvm::BasicBlock* body = llvm::BasicBlock::Create(context, "body", worker_);
  b.CreateBr(wait);
  b.SetInsertPoint(wait);
  auto* ready = b.CreateAlignedLoad(i64, field(b, argument_count_ + 3), llvm::Align(8));
  ready->setAtomic(llvm::AtomicOrdering::Acquire);
  b.CreateCondBr(b.CreateICmpNE(ready, b.getInt64(0)), body, wait);
  body_ = body;
}

llvm::Value* ThreadTeam::field(llvm::IRBuilder<>& b, unsigned index) const {
  return b.CreateStructGEP(context_type_, worker_->getArg(0), index);
}

llvm::Value* ThreadTeam::argument(llvm::IRBuilder<>& b, unsigned i) const {
  return b.CreateLoad(context_type_->getElementType(i), field(b, i));
}

llvm::Value* ThreadTeam::thread() const { return worker_->getArg(1); }

llvm::Value* ThreadTeam::threads(llvm::IRBuilder<>& b) const {
  return b.CreateLoad(b.getInt64Ty(), field(b, argument_count_));
}

std::pair<llvm::Value*, llvm::Value*> ThreadTeam::share(llvm::IRBuilder<>& b, llvm::Value* total) const {
  llvm::Value* count = threads(b);
  llvm::Value* each = b.CreateSDiv(total, count);
  llvm::Value* extra = b.CreateSRem(total, count);
  auto start = [&](llvm::Value* t) {
    llvm::Value* earlier_extra = b.CreateSelect(b.CreateICmpSLT(t, extra), t, extra);
    return b.CreateAdd(b.CreateMul(each, t), earlier_extra);
  };
  return {start(thread()), start(b.CreateAdd(thread(), b.getInt64(1)))};
}

void ThreadTeam::barrier(llvm::IRBuilder<>& b) const {
  llvm::LLVMContext& context = b.getContext();
  llvm::Type* i64 = b.getInt64Ty();
  llvm::Value* count = threads(b);
  llvm::BasicBlock* arrive = llvm::BasicBlock::Create(context, "barrier", worker_);
  llvm::BasicBlock* last = llvm::BasicBlock::Create(context, "barrier_release", worker_);
  llvm::BasicBlock* spin = llvm::BasicBlock::Create(context, "barrier_wait", worker_);
  llvm::BasicBlock* done = llvm::BasicBlock::Create(context, "barrier_done", worker_);
  b.CreateCondBr(b.CreateICmpSGT(count, b.getInt64(1)), arrive, done);

  b.SetInsertPoint(arrive);
  llvm::Value* arrived = field(b, argument_count_ + 1);
  llvm::Value* generation = field(b, argument_count_ + 2);
  auto* seen = b.CreateAlignedLoad(i64, generation, llvm::Align(8));
  seen->setAtomic(llvm::AtomicOrdering::Acquire);
  llvm::Value* before = b.CreateAtomicRMW(llvm::AtomicRMWInst::Add, arrived, b.getInt64(1), llvm::Align(8),
                                          llvm::AtomicOrdering::AcquireRelease);
  b.CreateCondBr(b.CreateICmpEQ(before, b.CreateSub(count, b.getInt64(1))), last, spin);

  // The last to arrive resets the count, then lets the others go.
  b.SetInsertPoint(last);
  b.CreateAlignedStore(b.getInt64(0), arrived, llvm::Align(8))->setAtomic(llvm::AtomicOrdering::Monotonic);
  b.CreateAlignedStore(b.CreateAdd(seen, b.getInt64(1)), generation, llvm::Align(8))
      ->setAtomic(llvm::AtomicOrdering::Release);
  b.CreateBr(done);

  b.SetInsertPoint(spin);
  llvm::PHINode* spins = b.CreatePHI(i64, 2);
  spins->addIncoming(b.getInt64(0), arrive);
  emit_spin_hint(b);
  llvm::Value* next = b.CreateAdd(spins, b.getInt64(1));
  llvm::BasicBlock* yield = llvm::BasicBlock::Create(context, "barrier_yield", worker_);
  llvm::BasicBlock* look = llvm::BasicBlock::Create(context, "barrier_look", worker_);
  b.CreateCondBr(b.CreateICmpEQ(b.CreateURem(next, b.getInt64(kSpinsBeforeYield)), b.getInt64(0)), yield, look);
  b.SetInsertPoint(yield);
  b.CreateCall(libc_function(module_, "sched_yield", b.getInt32Ty(), {}));
  b.CreateBr(look);
  b.SetInsertPoint(look);
  auto* now = b.CreateAlignedLoad(i64, generation, llvm::Align(8));
  now->setAtomic(llvm::AtomicOrdering::Acquire);
  spins->addIncoming(next, look);
  b.CreateCondBr(b.CreateICmpEQ(now, seen), spin, done);

  b.SetInsertPoint(done);
}

llvm::Function* ThreadTeam::emit_trampoline() {
  // void* start(void* record): record = {context, thread index}.
  llvm::LLVMContext& context = module_.getContext();
  llvm::Type* ptr = llvm::PointerType::getUnqual(context);
  llvm::Type* i64 = llvm::Type::getInt64Ty(context);
  auto* record_type = llvm::StructType::get(context, {ptr, i64});
  auto* start = llvm::Function::Create(llvm::FunctionType::get(ptr, {ptr}, false), llvm::Function::InternalLinkage,
                                       worker_->getName() + ".start", module_);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(context, "entry", start));
  llvm::Value* team = b.CreateLoad(ptr, b.CreateStructGEP(record_type, start->getArg(0), 0));
  llvm::Value* index = b.CreateLoad(i64, b.CreateStructGEP(record_type, start->getArg(0), 1));
  b.CreateCall(worker_, {team, index});
  b.CreateRet(llvm::ConstantPointerNull::get(llvm::PointerType::getUnqual(context)));
  return start;
}

void ThreadTeam::emit_entry(const std::string& name, const std::vector<llvm::Type*>& arguments) {
  llvm::LLVMContext& context = module_.getContext();
  llvm::Type* ptr = llvm::PointerType::getUnqual(context);
  llvm::Type* i64 = llvm::Type::getInt64Ty(context);
  std::vector<llvm::Type*> parameters = arguments;
  parameters.push_back(i64);
  auto* entry = llvm::Function::Create(llvm::FunctionType::get(llvm::Type::getVoidTy(context), parameters, false),
                                       llvm::Function::ExternalLinkage, name, module_);
  llvm::Function* start = emit_trampoline();
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(context, "entry", entry));
  llvm::Value* team = b.CreateAlloca(context_type_);
  auto* record_type = llvm::StructType::get(context, {ptr, i64});
  llvm::Value* records = b.CreateAlloca(llvm::ArrayType::get(record_type, kMaxKernelThreads));
  llvm::Value* handles = b.CreateAlloca(llvm::ArrayType::get(i64, kMaxKernelThreads));  // pthread_t
  for (unsigned i = 0; i < argument_count_; ++i) b.CreateStore(entry->getArg(i), b.CreateStructGEP(context_type_, team, i));
  for (unsigned i = 1; i <= 3; ++i) b.CreateStore(b.getInt64(0), b.CreateStructGEP(context_type_, team, argument_count_ + i));
  llvm::Value* requested = entry->getArg(argument_count_);
  requested = b.CreateSelect(b.CreateICmpSLT(requested, b.getInt64(1)), b.getInt64(1), requested);
  requested = b.CreateSelect(b.CreateICmpSGT(requested, b.getInt64(kMaxKernelThreads)), b.getInt64(kMaxKernelThreads), requested);

  // Start threads 1, 2, ... until all run or one fails to start.
  llvm::FunctionCallee pthread_create = libc_function(module_, "pthread_create", b.getInt32Ty(), {ptr, ptr, ptr, ptr});
  llvm::FunctionCallee pthread_join = libc_function(module_, "pthread_join", b.getInt32Ty(), {i64, ptr});
  llvm::BasicBlock* before = b.GetInsertBlock();
  llvm::BasicBlock* create = llvm::BasicBlock::Create(context, "start_thread", entry);
  llvm::BasicBlock* started = llvm::BasicBlock::Create(context, "thread_started", entry);
  llvm::BasicBlock* run = llvm::BasicBlock::Create(context, "run", entry);
  b.CreateCondBr(b.CreateICmpSGT(requested, b.getInt64(1)), create, run);
  b.SetInsertPoint(create);
  llvm::PHINode* index = b.CreatePHI(i64, 2, "thread");
  index->addIncoming(b.getInt64(1), before);
  llvm::Value* record = b.CreateGEP(record_type, records, index);
  b.CreateStore(team, b.CreateStructGEP(record_type, record, 0));
  b.CreateStore(index, b.CreateStructGEP(record_type, record, 1));
  llvm::Value* status = b.CreateCall(
      pthread_create, {b.CreateGEP(i64, handles, index), llvm::ConstantPointerNull::get(llvm::PointerType::getUnqual(context)),
                       start, record});
  b.CreateCondBr(b.CreateICmpEQ(status, b.getInt32(0)), started, run);
  b.SetInsertPoint(started);
  llvm::Value* next = b.CreateAdd(index, b.getInt64(1));
  index->addIncoming(next, started);
  b.CreateCondBr(b.CreateICmpSLT(next, requested), create, run);

  b.SetInsertPoint(run);
  llvm::PHINode* running = b.CreatePHI(i64, 3, "threads");
  running->addIncoming(b.getInt64(1), before);
  running->addIncoming(index, create);  // thread `index` failed to start
  running->addIncoming(next, started);
  b.CreateStore(running, b.CreateStructGEP(context_type_, team, argument_count_));
  b.CreateAlignedStore(b.getInt64(1), b.CreateStructGEP(context_type_, team, argument_count_ + 3), llvm::Align(8))
      ->setAtomic(llvm::AtomicOrdering::Release);
  b.CreateCall(worker_, {team, b.getInt64(0)});
  emit_loop(b, b.CreateSub(running, b.getInt64(1)), "join", [&](llvm::Value* i) {
    llvm::Value* handle = b.CreateLoad(i64, b.CreateGEP(i64, handles, b.CreateAdd(i, b.getInt64(1))));
    b.CreateCall(pthread_join, {handle, llvm::ConstantPointerNull::get(llvm::PointerType::getUnqual(context))});
  });
  b.CreateRetVoid();
}

}  // namespace rnnc
