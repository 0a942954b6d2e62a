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
  RowEmitter(llvm::IRBuilder<>& b, int width)
      : b_(b), width_(width), f32_(b.getFloatTy()), vector_(llvm::FixedVectorType::get(f32_, unsigned(width))) {}

  void node(const Node& node, llvm::Value* destination, const std::vector<Access>& operands, llvm::Value* first,
            llvm::Value* count) {
    std::int64_t length = element_count(node.shape);
    bool whole_vectors = first != nullptr;  // a unit block: a multiple of the width
    if (!first) {
      first = i64(0);
      count = i64(length);
    }
    auto elements = [&](const char* name, const std::function<llvm::Value*(llvm::Value*, llvm::Value*)>& value) {
      emit_vector_loop(
          b_, count, width_, name,
          [&](llvm::Value* i, llvm::Value* mask) {
            llvm::Value* j = b_.CreateAdd(first, i);
            store(destination, j, mask, value(j, mask));
          },
          whole_vectors);
    };
    switch (op_class(node.op)) {
      case OpClass::Unary:
        elements("unary",
                 [&](llvm::Value* j, llvm::Value* mask) { return unary(node.op, load(operands[0], j, mask)); });
        return;
      case OpClass::Binary:
        elements("binary", [&](llvm::Value* j, llvm::Value* mask) {
          return binary(node.op, load(operands[0], j, mask), load(operands[1], j, mask));
        });
        return;
      case OpClass::Broadcast:
        elements("broadcast", [&](llvm::Value*, llvm::Value*) { return splat(element(operands[0], i64(0))); });
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
        b_.CreateStore(total, destination);
        return;
      }
      case OpClass::Softmax: softmax(operands[0], destination, length); return;
      case OpClass::Pad: {
        emit_vector_loop(b_, i64(length), width_, "pad", [&](llvm::Value* j, llvm::Value* mask) {
          store(destination, j, mask, llvm::Constant::getNullValue(vector_));
        });
        copy(operands[0], offset(destination, i64(node.slice_begin.constant_value())), i64(0),
             i64(operands[0].length));
        return;
      }
      default: RNNC_ASSERT(false, std::string("no per-row code for ") + op_mnemonic(node.op));
    }
  }

  void copy(const Access& source, llvm::Value* destination, llvm::Value* first, llvm::Value* count,
            bool whole_vectors = false) {
    emit_vector_loop(
        b_, count, width_, "copy",
        [&](llvm::Value* i, llvm::Value* mask) {
          llvm::Value* j = b_.CreateAdd(first, i);
          store(destination, j, mask, load(source, j, mask));
        },
        whole_vectors);
  }

  void accumulate(const Access& source, llvm::Value* destination, llvm::Value* first, llvm::Value* count) {
    emit_vector_loop(b_, count, width_, "accumulate", [&](llvm::Value* i, llvm::Value* mask) {
      llvm::Value* j = b_.CreateAdd(first, i);
      llvm::Value* sum = b_.CreateFAdd(load_vector(offset(destination, j), mask), load(source, j, mask));
      store(destination, j, mask, sum);
    });
  }

 private:
  void softmax(const Access& x, llvm::Value* destination, std::int64_t length) {
    // Subtracting the maximum keeps exp() from overflowing.
    llvm::Value* largest = splat(reduce(x, /*maximum=*/true));
    emit_vector_loop(b_, i64(length), width_, "softmax_exp", [&](llvm::Value* j, llvm::Value* mask) {
      store(destination, j, mask, emit_exp(b_, b_.CreateFSub(load(x, j, mask), largest), MathAccuracy::Exact));
    });
    Access result{destination, nullptr, length};
    llvm::Value* inverse = splat(b_.CreateFDiv(llvm::ConstantFP::get(f32_, 1.0), reduce(result)));
    emit_vector_loop(b_, i64(length), width_, "softmax_scale", [&](llvm::Value* j, llvm::Value* mask) {
      store(destination, j, mask, b_.CreateFMul(load(result, j, mask), inverse));
    });
  }

  // The sum (or maximum) of a value's elements, lane by lane over its
  // vectors, then across the lanes; the lanes of a partial last vector
  // beyond the value's end count as 0 (or -inf).
  llvm::Value* reduce(const Access& x, bool maximum = false) {
    if (x.constant || x.length == 1) return element(x, i64(0));
    llvm::Value* identity = maximum ? llvm::ConstantFP::getInfinity(f32_, true) : llvm::ConstantFP::get(f32_, 0.0);
    auto combine = [&](llvm::Value* accumulator, llvm::Value* term) {
      return maximum ? b_.CreateSelect(b_.CreateFCmpOLT(accumulator, term), term, accumulator)
                     : b_.CreateFAdd(accumulator, term);
    };
    llvm::Function* function = b_.GetInsertBlock()->getParent();
    llvm::LLVMContext& context = b_.getContext();
    const std::int64_t vectors = x.length / width_, rest = x.length % width_;
    llvm::Value* lanes = splat(identity);
    if (vectors > 0) {
      llvm::BasicBlock* before = b_.GetInsertBlock();
      llvm::BasicBlock* header = llvm::BasicBlock::Create(context, "reduce", function);
      llvm::BasicBlock* done = llvm::BasicBlock::Create(context, "reduce_done", function);
      b_.CreateBr(header);
      b_.SetInsertPoint(header);
      llvm::PHINode* index = b_.CreatePHI(b_.getInt64Ty(), 2);
      llvm::PHINode* accumulator = b_.CreatePHI(vector_, 2);
      index->addIncoming(i64(0), before);
      accumulator->addIncoming(lanes, before);
      llvm::Value* next = combine(accumulator, load(x, b_.CreateMul(index, i64(width_)), nullptr));
      llvm::Value* next_index = b_.CreateAdd(index, i64(1));
      index->addIncoming(next_index, b_.GetInsertBlock());
      accumulator->addIncoming(next, b_.GetInsertBlock());
      b_.CreateCondBr(b_.CreateICmpSLT(next_index, i64(vectors)), header, done);
      b_.SetInsertPoint(done);
      lanes = next;
    }
    if (rest > 0) {
      llvm::Value* mask = emit_lane_mask(b_, i64(rest), width_);
      llvm::Value* tail = b_.CreateMaskedLoad(vector_, offset(x.base, i64(vectors * width_)), llvm::Align(4), mask,
                                              splat(identity));
      lanes = combine(lanes, tail);
    }
    llvm::Value* total = b_.CreateExtractElement(lanes, std::uint64_t(0));
    for (int lane = 1; lane < width_; ++lane) {
      total = combine(total, b_.CreateExtractElement(lanes, std::uint64_t(lane)));
    }
    return total;
  }

  llvm::Value* unary(Op op, llvm::Value* x) {
    llvm::Value* zero = llvm::ConstantFP::get(x->getType(), 0.0);
    llvm::Value* one = llvm::ConstantFP::get(x->getType(), 1.0);
    switch (op) {
      case Op::Neg: return b_.CreateFNeg(x);
      // Transcendentals are emitted inline (vector_math.h, a few ulp), on
      // whole vectors; libm has no vector calls.
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
        return b_.CreateSelect(b_.CreateFCmpOGE(a, b), llvm::ConstantFP::get(a->getType(), 1.0),
                               llvm::ConstantFP::get(a->getType(), 0.0));
      default: RNNC_ASSERT(false, std::string("not a binary operation: ") + op_mnemonic(op));
    }
  }

  llvm::Value* intrinsic(llvm::Intrinsic::ID id, llvm::Value* x) {
    return b_.CreateCall(llvm::Intrinsic::getDeclaration(b_.GetInsertBlock()->getModule(), id, {x->getType()}), {x});
  }

  // Element `index` of a value, a scalar.
  llvm::Value* element(const Access& value, llvm::Value* index) {
    RNNC_ASSERT(!value.expression, "an inlined value read element by element");
    if (value.constant) return value.constant;
    llvm::Value* position = value.length == 1 ? i64(0) : index;
    return b_.CreateLoad(f32_, b_.CreateGEP(f32_, value.base, position));
  }

  // Elements [index, index + width) of a value (a length-1 value
  // broadcast); with a mask only its lanes are read, the others are 0.
  llvm::Value* load(const Access& value, llvm::Value* index, llvm::Value* mask) {
    if (value.expression) {
      llvm::Value* at = b_.CreateAdd(index, i64(value.shift));
      Op op = value.expression->op;
      if (op_class(op) == OpClass::Unary) return unary(op, load(value.terms[0], at, mask));
      return binary(op, load(value.terms[0], at, mask), load(value.terms[1], at, mask));
    }
    if (value.constant || value.length == 1) return splat(element(value, index));
    return load_vector(offset(value.base, index), mask);
  }

  llvm::Value* load_vector(llvm::Value* address, llvm::Value* mask) {
    if (mask) return b_.CreateMaskedLoad(vector_, address, llvm::Align(4), mask, llvm::Constant::getNullValue(vector_));
    return b_.CreateAlignedLoad(vector_, address, llvm::Align(4));
  }

  void store(llvm::Value* destination, llvm::Value* index, llvm::Value* mask, llvm::Value* values) {
    llvm::Value* address = b_.CreateGEP(f32_, destination, index);
    if (mask) {
      b_.CreateMaskedStore(values, address, llvm::Align(4), mask);
    } else {
      b_.CreateAlignedStore(values, address, llvm::Align(4));
    }
  }

  llvm::Value* splat(llvm::Value* scalar) { return b_.CreateVectorSplat(unsigned(width_), scalar); }
  llvm::Value* offset(llvm::Value* base, llvm::Value* floats) { return b_.CreateGEP(f32_, base, floats); }
  llvm::Value* i64(std::int64_t value) { return b_.getInt64(std::uint64_t(value)); }

  llvm::IRBuilder<>& b_;
  int width_;
  llvm::Type* f32_;
  llvm::Type* vector_;
};

}  // namespace

void emit_row_values(llvm::IRBuilder<>& b, int width, const Node& node, llvm::Value* destination,
                     const std::vector<Access>& operands, llvm::Value* first, llvm::Value* count) {
  RowEmitter(b, width).node(node, destination, operands, first, count);
}

void emit_copy(llvm::IRBuilder<>& b, int width, const Access& source, llvm::Value* destination, llvm::Value* first,
               llvm::Value* count, bool whole_vectors) {
  RowEmitter(b, width).copy(source, destination, first, count, whole_vectors);
}

void emit_accumulate(llvm::IRBuilder<>& b, int width, const Access& source, llvm::Value* destination,
                     llvm::Value* first, llvm::Value* count) {
  RowEmitter(b, width).accumulate(source, destination, first, count);
}

}  // namespace rnnc
