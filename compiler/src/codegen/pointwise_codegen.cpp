#include "codegen/pointwise_codegen.h"

#include <functional>
#include <string>

#include <llvm/IR/Intrinsics.h>

#include "codegen/loops.h"
#include "codegen/vector_math.h"
#include "rnnc/internal_error.h"

namespace rnnc {

namespace {

class RowEmitter {
 public:
  explicit RowEmitter(llvm::IRBuilder<>& b) : b_(b), f32_(b.getFloatTy()) {}

  void node(const Node& node, llvm::Value* destination, const std::vector<Access>& operands, llvm::Value* first,
            llvm::Value* count) {
    std::int64_t length = element_count(node.shape);
    if (!first) {
      first = i64(0);
      count = i64(length);
    }
    auto elements = [&](const char* name, const std::function<llvm::Value*(llvm::Value*)>& value) {
      emit_loop(b_, count, name, [&](llvm::Value* i) {
        llvm::Value* j = b_.CreateAdd(first, i);
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
          copy(part, offset(destination, i64(position)), i64(0), i64(part.length));
          position += part.length;
        }
        return;
      }
      case OpClass::Reduce: {
        llvm::Value* total = reduce(operands[0]);
        if (node.op == Op::Mean) {
          total = b_.CreateFDiv(total, llvm::ConstantFP::get(f32_, double(operands[0].length)));
        }
        store(destination, i64(0), total);
        return;
      }
      case OpClass::Softmax: softmax(operands[0], destination, length); return;
      case OpClass::Pad: {
        emit_loop(b_, i64(length), "pad",
                  [&](llvm::Value* j) { store(destination, j, llvm::ConstantFP::get(f32_, 0.0)); });
        copy(operands[0], offset(destination, i64(node.slice_begin.constant_value())), i64(0),
             i64(operands[0].length));
        return;
      }
      default: RNNC_ASSERT(false, std::string("no per-row code for ") + op_mnemonic(node.op));
    }
  }

  void copy(const Access& source, llvm::Value* destination, llvm::Value* first, llvm::Value* count) {
    emit_loop(b_, count, "copy", [&](llvm::Value* i) {
      llvm::Value* j = b_.CreateAdd(first, i);
      store(destination, j, element(source, j));
    });
  }

 private:
  void softmax(const Access& x, llvm::Value* destination, std::int64_t length) {
    // Subtracting the maximum keeps exp() from overflowing.
    llvm::Value* largest = reduce(x, /*maximum=*/true);
    emit_loop(b_, i64(length), "softmax_exp", [&](llvm::Value* j) {
      store(destination, j, emit_exp(b_, b_.CreateFSub(element(x, j), largest), MathAccuracy::Exact));
    });
    llvm::Value* total = reduce({destination, nullptr, length});
    llvm::Value* inverse = b_.CreateFDiv(llvm::ConstantFP::get(f32_, 1.0), total);
    emit_loop(b_, i64(length), "softmax_scale", [&](llvm::Value* j) {
      store(destination, j, b_.CreateFMul(element({destination, nullptr, length}, j), inverse));
    });
  }

  // The sum (or maximum) of a value's elements; the sum is reassociable so
  // that LLVM can vectorize it.
  llvm::Value* reduce(const Access& x, bool maximum = false) {
    llvm::Function* function = b_.GetInsertBlock()->getParent();
    llvm::LLVMContext& context = b_.getContext();
    llvm::Value* initial = maximum ? llvm::ConstantFP::getInfinity(f32_, true) : llvm::ConstantFP::get(f32_, 0.0);
    llvm::BasicBlock* before = b_.GetInsertBlock();
    llvm::BasicBlock* header = llvm::BasicBlock::Create(context, "reduce", function);
    llvm::BasicBlock* done = llvm::BasicBlock::Create(context, "reduce_done", function);
    b_.CreateBr(header);
    b_.SetInsertPoint(header);
    llvm::PHINode* index = b_.CreatePHI(b_.getInt64Ty(), 2);
    llvm::PHINode* accumulator = b_.CreatePHI(f32_, 2);
    index->addIncoming(i64(0), before);
    accumulator->addIncoming(initial, before);
    llvm::Value* term = element(x, index);
    llvm::Value* next;
    if (maximum) {
      next = b_.CreateSelect(b_.CreateFCmpOLT(accumulator, term), term, accumulator);
    } else {
      next = b_.CreateFAdd(accumulator, term);
      llvm::cast<llvm::Instruction>(next)->setFastMathFlags(reassociable());
    }
    llvm::Value* next_index = b_.CreateAdd(index, i64(1));
    index->addIncoming(next_index, b_.GetInsertBlock());
    accumulator->addIncoming(next, b_.GetInsertBlock());
    keep_rolled(b_.CreateCondBr(b_.CreateICmpSLT(next_index, i64(x.length)), header, done));
    b_.SetInsertPoint(done);
    return next;
  }

  llvm::Value* unary(Op op, llvm::Value* x) {
    llvm::Value* zero = llvm::ConstantFP::get(f32_, 0.0);
    llvm::Value* one = llvm::ConstantFP::get(f32_, 1.0);
    switch (op) {
      case Op::Neg: return b_.CreateFNeg(x);
      // Transcendentals are emitted inline (vector_math.h, a few ulp), so
      // the loops around them vectorize; libm calls would not.
      case Op::Sigmoid: return emit_sigmoid(b_, x, MathAccuracy::Exact);
      case Op::Tanh: return emit_tanh(b_, x, MathAccuracy::Exact);
      case Op::Relu: return b_.CreateSelect(b_.CreateFCmpOGT(x, zero), x, zero);
      case Op::Exp: return emit_exp(b_, x, MathAccuracy::Exact);
      case Op::Log: return emit_log(b_, x, MathAccuracy::Exact);
      case Op::Sqrt: return intrinsic(llvm::Intrinsic::sqrt, x);
      case Op::Abs: return intrinsic(llvm::Intrinsic::fabs, x);
      case Op::Softplus: return emit_softplus(b_, x, MathAccuracy::Exact);
      case Op::Step: return b_.CreateSelect(b_.CreateFCmpOGT(x, zero), one, zero);
      case Op::Sign:
        return b_.CreateSelect(b_.CreateFCmpOGT(x, zero), one,
                               b_.CreateSelect(b_.CreateFCmpOLT(x, zero), b_.CreateFNeg(one), zero));
      default: RNNC_ASSERT(false, std::string("not a unary operation: ") + op_mnemonic(op));
    }
  }

  llvm::Value* binary(Op op, llvm::Value* a, llvm::Value* b) {
    switch (op) {
      case Op::Add: return b_.CreateFAdd(a, b);
      case Op::Sub: return b_.CreateFSub(a, b);
      case Op::Mul: return b_.CreateFMul(a, b);
      case Op::Div: return b_.CreateFDiv(a, b);
      case Op::Max: return b_.CreateSelect(b_.CreateFCmpOLT(a, b), b, a);  // std::max
      case Op::Min: return b_.CreateSelect(b_.CreateFCmpOLT(b, a), b, a);  // std::min
      case Op::GreaterEqual:
        return b_.CreateSelect(b_.CreateFCmpOGE(a, b), llvm::ConstantFP::get(f32_, 1.0),
                               llvm::ConstantFP::get(f32_, 0.0));
      default: RNNC_ASSERT(false, std::string("not a binary operation: ") + op_mnemonic(op));
    }
  }

  llvm::Value* intrinsic(llvm::Intrinsic::ID id, llvm::Value* x) {
    return b_.CreateCall(llvm::Intrinsic::getDeclaration(b_.GetInsertBlock()->getModule(), id, {f32_}), {x});
  }

  static llvm::FastMathFlags reassociable() {
    llvm::FastMathFlags flags;
    flags.setAllowReassoc();
    flags.setAllowContract();
    return flags;
  }

  llvm::Value* element(const Access& value, llvm::Value* index) {
    if (value.constant) return value.constant;
    llvm::Value* position = value.length == 1 ? i64(0) : index;
    return b_.CreateLoad(f32_, b_.CreateGEP(f32_, value.base, position));
  }

  void store(llvm::Value* destination, llvm::Value* index, llvm::Value* value) {
    b_.CreateStore(value, b_.CreateGEP(f32_, destination, index));
  }

  llvm::Value* offset(llvm::Value* base, llvm::Value* floats) { return b_.CreateGEP(f32_, base, floats); }
  llvm::Value* i64(std::int64_t value) { return b_.getInt64(std::uint64_t(value)); }

  llvm::IRBuilder<>& b_;
  llvm::Type* f32_;
};

}  // namespace

void emit_row_values(llvm::IRBuilder<>& b, const Node& node, llvm::Value* destination,
                     const std::vector<Access>& operands, llvm::Value* first, llvm::Value* count) {
  RowEmitter(b).node(node, destination, operands, first, count);
}

void emit_copy(llvm::IRBuilder<>& b, const Access& source, llvm::Value* destination, llvm::Value* first,
               llvm::Value* count) {
  RowEmitter(b).copy(source, destination, first, count);
}

}  // namespace rnnc
