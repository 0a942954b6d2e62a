// The forward-inference kernel: copy in the states, compute every value that
// does not depend on the state for all T·B rows, then run the time loop over
// the recurrent values, then copy the states out.
#include "codegen/forward_codegen.h"

#include <functional>

#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Intrinsics.h>
#include <llvm/IR/IntrinsicsX86.h>

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

class ForwardEmitter {
 public:
  ForwardEmitter(const Graph& graph, const ForwardPlan& plan, llvm::Module& module)
      : graph_(graph), plan_(plan), module_(module), context_(module.getContext()), builder_(context_) {
    f32_ = builder_.getFloatTy();
    i64_ = builder_.getInt64Ty();
    ptr_ = builder_.getPtrTy();
  }

  void run() {
    llvm::Type* params[] = {i64_, i64_, ptr_, ptr_, ptr_, ptr_, ptr_, ptr_};
    auto* type = llvm::FunctionType::get(builder_.getVoidTy(), params, false);
    function_ = llvm::Function::Create(type, llvm::Function::ExternalLinkage, kForwardInferenceSymbol, module_);
    llvm::Argument* args = function_->arg_begin();
    steps_ = &args[0];
    batch_ = &args[1];
    inputs_ = &args[2];
    initial_states_ = &args[3];
    final_states_ = &args[4];
    outputs_ = &args[5];
    params_ = &args[6];
    llvm::Value* scratch = &args[7];
    builder_.SetInsertPoint(llvm::BasicBlock::Create(context_, "entry", function_));

    llvm::Value* saved_mxcsr = flush_denormals();
    llvm::Value* rows = builder_.CreateMul(steps_, batch_, "rows");
    hoisted_base_ = scratch;
    recurrent_base_ = offset(hoisted_base_, builder_.CreateMul(rows, i64(plan_.hoisted_floats_per_row)));
    state_base_ = offset(recurrent_base_, builder_.CreateMul(batch_, i64(plan_.recurrent_floats_per_row)));
    staging_base_ = offset(state_base_, builder_.CreateMul(batch_, i64(plan_.state_floats_per_row)));

    copy_states(/*into_kernel=*/true);
    loop(rows, "hoisted_row", [&](llvm::Value* row) {
      for (NodeId id = 0; id < NodeId(graph_.nodes.size()); ++id) {
        if (plan_.values[std::size_t(id)].phase == Phase::Hoisted) compute(id, row, nullptr);
      }
    });
    loop(steps_, "step", [&](llvm::Value* step) { emit_step(step); });
    copy_states(/*into_kernel=*/false);

    builder_.CreateCall(llvm::Intrinsic::getDeclaration(&module_, llvm::Intrinsic::x86_sse_ldmxcsr), {saved_mxcsr});
    builder_.CreateRetVoid();
  }

 private:
  // ---- the time loop -------------------------------------------------------
  void emit_step(llvm::Value* step) {
    llvm::Value* first_row = builder_.CreateMul(step, batch_);
    loop(batch_, "sample", [&](llvm::Value* sample) {
      llvm::Value* row = builder_.CreateAdd(first_row, sample);
      for (NodeId id = 0; id < NodeId(graph_.nodes.size()); ++id) {
        if (plan_.values[std::size_t(id)].phase == Phase::Recurrent) compute(id, row, sample);
      }
      for (std::size_t o = 0; o < graph_.outputs.size(); ++o) {
        const Output& output = graph_.outputs[o];
        std::int64_t length = element_count(graph_.node(output.node).shape);
        llvm::Value* destination = offset(argument(outputs_, o), builder_.CreateMul(row, i64(length)));
        copy(access(output.node, row, sample), destination, length);
      }
      // Next states go to a staging area first: one state's next value may
      // read another state, which must not be overwritten yet.
      std::int64_t state_offset = 0;
      for (std::size_t s = 0; s < graph_.states.size(); ++s) {
        std::int64_t length = element_count(graph_.states[s].shape);
        copy(access(graph_.next_states[s], row, sample), state_row(staging_base_, sample, state_offset), length);
        state_offset += length;
      }
    });
    loop(batch_, "commit", [&](llvm::Value* sample) {
      copy({state_row(staging_base_, sample, 0), nullptr, plan_.state_floats_per_row}, state_row(state_base_, sample, 0),
           plan_.state_floats_per_row);
    });
  }

  // Copies the states between the caller's buffers and the kernel's.
  void copy_states(bool into_kernel) {
    loop(batch_, into_kernel ? "load_state" : "store_state", [&](llvm::Value* sample) {
      std::int64_t state_offset = 0;
      for (std::size_t s = 0; s < graph_.states.size(); ++s) {
        std::int64_t length = element_count(graph_.states[s].shape);
        llvm::Value* caller = offset(argument(into_kernel ? initial_states_ : final_states_, s),
                                     builder_.CreateMul(sample, i64(length)));
        llvm::Value* kernel = state_row(state_base_, sample, state_offset);
        if (into_kernel) {
          copy({caller, nullptr, length}, kernel, length);
        } else {
          copy({kernel, nullptr, length}, caller, length);
        }
        state_offset += length;
      }
    });
  }

  // ---- values ---------------------------------------------------------------
  // `row` is the global row t·B + b; `sample` is b (null before the time loop).
  Access access(NodeId id, llvm::Value* row, llvm::Value* sample) {
    const Node& node = graph_.node(id);
    const ValuePlacement& placement = plan_.values[std::size_t(id)];
    std::int64_t length = element_count(node.shape);
    switch (placement.phase) {
      case Phase::Leaf:
        switch (node.op) {
          case Op::Constant: return {nullptr, llvm::ConstantFP::get(f32_, node.constant), 1};
          case Op::Input:
            return {offset(argument(inputs_, std::size_t(node.symbol)), builder_.CreateMul(row, i64(length))), nullptr,
                    length};
          case Op::Param: return {argument(params_, std::size_t(node.symbol)), nullptr, length};
          case Op::State: return {state_row(state_base_, sample, state_offset(node.symbol)), nullptr, length};
          default: RNNC_ASSERT(false, "unexpected leaf");
        }
      case Phase::View: {
        Access source = access(node.operands[0], row, sample);
        return {offset(source.base, i64(node.slice_begin.constant_value())), nullptr, length};
      }
      case Phase::Hoisted:
        return {offset(hoisted_base_, builder_.CreateAdd(builder_.CreateMul(row, i64(plan_.hoisted_floats_per_row)),
                                                          i64(placement.offset))),
                nullptr, length};
      case Phase::Recurrent:
        return {offset(recurrent_base_,
                       builder_.CreateAdd(builder_.CreateMul(sample, i64(plan_.recurrent_floats_per_row)),
                                          i64(placement.offset))),
                nullptr, length};
    }
    RNNC_ASSERT(false, "unknown phase");
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
  void compute(NodeId id, llvm::Value* row, llvm::Value* sample) {
    const Node& node = graph_.node(id);
    llvm::Value* destination = access(id, row, sample).base;
    std::int64_t length = element_count(node.shape);
    std::vector<Access> operands;
    for (NodeId operand : node.operands) operands.push_back(access(operand, row, sample));
    switch (op_class(node.op)) {
      case OpClass::Unary:
        loop(i64(length), "unary", [&](llvm::Value* j) { store(destination, j, unary(node.op, element(operands[0], j))); });
        return;
      case OpClass::Binary:
        loop(i64(length), "binary", [&](llvm::Value* j) {
          store(destination, j, binary(node.op, element(operands[0], j), element(operands[1], j)));
        });
        return;
      case OpClass::MatVec: matvec(node, operands[0], destination); return;
      case OpClass::Concat: {
        std::int64_t position = 0;
        for (const Access& part : operands) {
          copy(part, offset(destination, i64(position)), part.length);
          position += part.length;
        }
        return;
      }
      case OpClass::Reduce: {
        llvm::Value* total = reduce(operands[0], [&](llvm::Value* x) { return x; });
        if (node.op == Op::Mean) total = builder_.CreateFDiv(total, llvm::ConstantFP::get(f32_, double(operands[0].length)));
        store(destination, i64(0), total);
        return;
      }
      case OpClass::Softmax: softmax(operands[0], destination, length); return;
      case OpClass::Broadcast:
        loop(i64(length), "broadcast", [&](llvm::Value* j) { store(destination, j, element(operands[0], i64(0))); });
        return;
      case OpClass::Pad: {
        loop(i64(length), "pad", [&](llvm::Value* j) { store(destination, j, llvm::ConstantFP::get(f32_, 0.0)); });
        copy(operands[0], offset(destination, i64(node.slice_begin.constant_value())), operands[0].length);
        return;
      }
      default: RNNC_ASSERT(false, std::string("no forward code for ") + op_mnemonic(node.op));
    }
  }

  // y = W v (W row-major [rows][cols]) or y = Wᵀ v.
  void matvec(const Node& node, const Access& vector, llvm::Value* destination) {
    const Shape& shape = graph_.params[std::size_t(node.symbol)].shape;
    std::int64_t rows = shape.rows.constant_value(), cols = shape.cols.constant_value();
    llvm::Value* matrix = argument(params_, std::size_t(node.symbol));
    if (node.op == Op::MatVec) {
      loop(i64(rows), "matvec_row", [&](llvm::Value* r) {
        llvm::Value* row = offset(matrix, builder_.CreateMul(r, i64(cols)));
        store(destination, r, reduce({vector.base, vector.constant, cols}, [&](llvm::Value* x, llvm::Value* k) {
                return builder_.CreateFMul(x, element({row, nullptr, cols}, k));
              }));
      });
      return;
    }
    // Transposed: accumulate row k of W scaled by v[k], which vectorizes.
    loop(i64(cols), "matvec_t_zero", [&](llvm::Value* j) { store(destination, j, llvm::ConstantFP::get(f32_, 0.0)); });
    loop(i64(rows), "matvec_t_row", [&](llvm::Value* k) {
      llvm::Value* row = offset(matrix, builder_.CreateMul(k, i64(cols)));
      llvm::Value* scale = element(vector, k);
      loop(i64(cols), "matvec_t_col", [&](llvm::Value* j) {
        llvm::Value* sum = builder_.CreateFAdd(element({destination, nullptr, cols}, j),
                                               builder_.CreateFMul(scale, element({row, nullptr, cols}, j)));
        store(destination, j, sum);
      });
    });
  }

  void softmax(const Access& x, llvm::Value* destination, std::int64_t length) {
    // Subtracting the maximum keeps exp() from overflowing.
    llvm::Value* largest = reduce(x, [&](llvm::Value* v) { return v; }, /*maximum=*/true);
    loop(i64(length), "softmax_exp", [&](llvm::Value* j) {
      store(destination, j, intrinsic(llvm::Intrinsic::exp, builder_.CreateFSub(element(x, j), largest)));
    });
    llvm::Value* total = reduce({destination, nullptr, length}, [&](llvm::Value* v) { return v; });
    llvm::Value* inverse = builder_.CreateFDiv(llvm::ConstantFP::get(f32_, 1.0), total);
    loop(i64(length), "softmax_scale", [&](llvm::Value* j) {
      store(destination, j, builder_.CreateFMul(element({destination, nullptr, length}, j), inverse));
    });
  }

  // Σ f(x[k]) (or max) over a value, with fast-math flags that let LLVM
  // reassociate the sum and so vectorize it.
  llvm::Value* reduce(const Access& x, const std::function<llvm::Value*(llvm::Value*)>& f, bool maximum = false) {
    return reduce(x, [&](llvm::Value* value, llvm::Value*) { return f(value); }, maximum);
  }

  llvm::Value* reduce(const Access& x, const std::function<llvm::Value*(llvm::Value*, llvm::Value*)>& f,
                      bool maximum = false) {
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
    llvm::Value* term = f(element(x, index), index);
    llvm::Value* next;
    if (maximum) {
      next = builder_.CreateSelect(builder_.CreateFCmpOLT(accumulator, term), term, accumulator);
    } else {
      llvm::FastMathFlags flags;
      flags.setAllowReassoc();
      flags.setAllowContract();
      next = builder_.CreateFAdd(accumulator, term);
      llvm::cast<llvm::Instruction>(next)->setFastMathFlags(flags);
      if (auto* product = llvm::dyn_cast<llvm::Instruction>(term); product && product->getOpcode() == llvm::Instruction::FMul) {
        product->setFastMathFlags(flags);
      }
    }
    llvm::Value* next_index = builder_.CreateAdd(index, i64(1));
    index->addIncoming(next_index, builder_.GetInsertBlock());
    accumulator->addIncoming(next, builder_.GetInsertBlock());
    builder_.CreateCondBr(builder_.CreateICmpSLT(next_index, i64(x.length)), header, done);
    builder_.SetInsertPoint(done);
    return next;
  }

  // ---- scalar operations ------------------------------------------------------
  llvm::Value* unary(Op op, llvm::Value* x) {
    llvm::Value* zero = llvm::ConstantFP::get(f32_, 0.0);
    llvm::Value* one = llvm::ConstantFP::get(f32_, 1.0);
    switch (op) {
      case Op::Neg: return builder_.CreateFNeg(x);
      case Op::Sigmoid: return builder_.CreateFDiv(one, builder_.CreateFAdd(one, intrinsic(llvm::Intrinsic::exp, builder_.CreateFNeg(x))));
      case Op::Tanh: return libm("tanhf", x);
      case Op::Relu: return builder_.CreateSelect(builder_.CreateFCmpOGT(x, zero), x, zero);
      case Op::Exp: return intrinsic(llvm::Intrinsic::exp, x);
      case Op::Log: return intrinsic(llvm::Intrinsic::log, x);
      case Op::Sqrt: return intrinsic(llvm::Intrinsic::sqrt, x);
      case Op::Abs: return intrinsic(llvm::Intrinsic::fabs, x);
      case Op::Softplus: {  // max(x, 0) + log1p(exp(-|x|)), which cannot overflow
        llvm::Value* positive = builder_.CreateSelect(builder_.CreateFCmpOGT(x, zero), x, zero);
        llvm::Value* tail = intrinsic(llvm::Intrinsic::exp, builder_.CreateFNeg(intrinsic(llvm::Intrinsic::fabs, x)));
        return builder_.CreateFAdd(positive, libm("log1pf", tail));
      }
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

  llvm::Value* libm(const char* name, llvm::Value* x) {
    llvm::FunctionCallee callee = module_.getOrInsertFunction(name, llvm::FunctionType::get(f32_, {f32_}, false));
    return builder_.CreateCall(callee, {x});
  }

  // ---- helpers ------------------------------------------------------------------
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
    loop(i64(length), "copy", [&](llvm::Value* j) { store(destination, j, element(source, j)); });
  }

  llvm::Value* state_row(llvm::Value* base, llvm::Value* sample, std::int64_t state_offset) {
    return offset(base, builder_.CreateAdd(builder_.CreateMul(sample, i64(plan_.state_floats_per_row)), i64(state_offset)));
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

  // for (i = 0; i < count; ++i) body(i), skipped when count <= 0.
  void loop(llvm::Value* count, const char* name, const std::function<void(llvm::Value*)>& body) {
    llvm::BasicBlock* before = builder_.GetInsertBlock();
    llvm::BasicBlock* header = llvm::BasicBlock::Create(context_, name, function_);
    llvm::BasicBlock* done = llvm::BasicBlock::Create(context_, std::string(name) + "_done", function_);
    builder_.CreateCondBr(builder_.CreateICmpSGT(count, i64(0)), header, done);
    builder_.SetInsertPoint(header);
    llvm::PHINode* index = builder_.CreatePHI(i64_, 2, std::string(name) + "_i");
    index->addIncoming(i64(0), before);
    body(index);
    llvm::Value* next = builder_.CreateAdd(index, i64(1));
    index->addIncoming(next, builder_.GetInsertBlock());
    builder_.CreateCondBr(builder_.CreateICmpSLT(next, count), header, done);
    builder_.SetInsertPoint(done);
  }

  const Graph& graph_;
  const ForwardPlan& plan_;
  llvm::Module& module_;
  llvm::LLVMContext& context_;
  llvm::IRBuilder<> builder_;
  llvm::Type* f32_;
  llvm::Type* i64_;
  llvm::Type* ptr_;
  llvm::Function* function_ = nullptr;
  llvm::Value *steps_ = nullptr, *batch_ = nullptr, *inputs_ = nullptr, *initial_states_ = nullptr;
  llvm::Value *final_states_ = nullptr, *outputs_ = nullptr, *params_ = nullptr;
  llvm::Value *hoisted_base_ = nullptr, *recurrent_base_ = nullptr, *state_base_ = nullptr, *staging_base_ = nullptr;
};

}  // namespace

void emit_forward_inference(const Graph& graph, const ForwardPlan& plan, llvm::Module& module) {
  ForwardEmitter(graph, plan, module).run();
}

}  // namespace rnnc
