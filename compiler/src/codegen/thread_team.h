// Running one kernel on several threads, all in generated code (so that an
// ahead-of-time object needs only libc): the public entry point stores its
// arguments in a context on its stack, starts threads - 1 POSIX threads
// that each run the worker, runs the worker itself as thread 0, and joins
// them. The worker reads the arguments from the context, splits each piece
// of work among the threads (share) and waits for the others between
// pieces that depend on each other (barrier).
//
//   void NAME(arguments..., i64 threads)   threads <= 1: one thread, no
//                                          pthread call; at most kMaxKernelThreads (limits.h)
//   void NAME.worker(ptr context, i64 thread)
//
// If the system refuses to start a thread, the team runs with the threads
// it has: the work is split by the number that actually run.
#pragma once

#include <utility>
#include <vector>

#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Module.h>

#include "rnnc/limits.h"

namespace rnnc {

class ThreadTeam {
 public:
  // Emits NAME (taking `arguments` and the thread count) and the start of
  // the worker; the caller emits the rest of the worker from body(), an
  // empty block reached once the team has started.
  ThreadTeam(llvm::Module& module, const std::string& name, const std::vector<llvm::Type*>& arguments);

  llvm::Function* worker() const { return worker_; }
  llvm::BasicBlock* body() const { return body_; }

  // In the worker: argument i of NAME, this thread's index, the number of
  // threads running.
  llvm::Value* argument(llvm::IRBuilder<>& b, unsigned i) const;
  llvm::Value* thread() const;
  llvm::Value* threads(llvm::IRBuilder<>& b) const;

  // This thread's part [begin, end) of [0, total): contiguous, in thread
  // order, sizes differing by at most one.
  std::pair<llvm::Value*, llvm::Value*> share(llvm::IRBuilder<>& b, llvm::Value* total) const;

  // Waits until every thread of the team has arrived (a sense-reversing
  // spin barrier that yields the core while it waits long); free for one
  // thread.
  void barrier(llvm::IRBuilder<>& b) const;

 private:
  void emit_entry(const std::string& name, const std::vector<llvm::Type*>& arguments);
  llvm::Function* emit_trampoline();
  llvm::Value* field(llvm::IRBuilder<>& b, unsigned index) const;

  llvm::Module& module_;
  llvm::StructType* context_type_ = nullptr;  // arguments..., threads, arrived, generation, ready
  unsigned argument_count_ = 0;
  llvm::Function* worker_ = nullptr;
  llvm::BasicBlock* body_ = nullptr;
};

}  // namespace rnnc
