// The operations of the language and of the cell IR (rnnc/ir.h), shared by
// the front end, which maps built-in functions onto them, and every later
// stage.
#pragma once

#include <cstdint>

namespace rnnc {

// The list of operations, written once. Columns: enum name, printed
// mnemonic, operand count (-1: any), class.
#define RNNC_IR_OPS(X)                                                           \
  X(Constant, "const", 0, Leaf)     /* scalar literal */                          \
  X(Input, "input", 0, Leaf)        /* this step's input vector */                \
  X(State, "state", 0, Leaf)        /* the previous step's state vector */        \
  X(Param, "param", 0, Leaf)        /* scalar or vector parameter */              \
  X(Neg, "neg", 1, Unary)                                                        \
  X(Sigmoid, "sigmoid", 1, Unary)                                                \
  X(Tanh, "tanh", 1, Unary)                                                      \
  X(Relu, "relu", 1, Unary)                                                      \
  X(Exp, "exp", 1, Unary)                                                        \
  X(Log, "log", 1, Unary)                                                        \
  X(Sqrt, "sqrt", 1, Unary)                                                      \
  X(Abs, "abs", 1, Unary)                                                        \
  X(Softplus, "softplus", 1, Unary)                                              \
  X(Step, "step", 1, Unary)         /* x > 0 ? 1 : 0 (backward of relu) */       \
  X(Sign, "sign", 1, Unary)         /* -1, 0 or 1 (backward of abs) */           \
  X(Add, "add", 2, Binary)          /* binary ops broadcast scalars and [1] */   \
  X(Sub, "sub", 2, Binary)                                                       \
  X(Mul, "mul", 2, Binary)                                                       \
  X(Div, "div", 2, Binary)                                                       \
  X(Max, "max", 2, Binary)                                                       \
  X(Min, "min", 2, Binary)                                                       \
  X(GreaterEqual, "ge", 2, Binary)  /* a >= b ? 1 : 0 (backward of max, min) */  \
  X(MatVec, "matvec", 1, MatVec)    /* param matrix times a vector */            \
  X(MatVecT, "matvec_t", 1, MatVec) /* transposed param matrix times a vector */ \
  X(Outer, "outer", 2, Outer)       /* g vᵀ: a matrix gradient contribution */   \
  X(Broadcast, "broadcast", 1, Broadcast) /* scalar to a vector */              \
  X(Pad, "pad", 1, Pad)             /* operand at slice_begin, zeros elsewhere */\
  X(Slice, "slice", 1, Slice)       /* [begin, begin + length) */                \
  X(Concat, "concat", -1, Concat)                                                \
  X(Sum, "sum", 1, Reduce)          /* to a scalar */                            \
  X(Mean, "mean", 1, Reduce)        /* to a scalar */                            \
  X(Softmax, "softmax", 1, Softmax)

enum class Op : std::uint8_t {
#define RNNC_IR_OP_ENUM(name, text, arity, op_class) name,
  RNNC_IR_OPS(RNNC_IR_OP_ENUM)
#undef RNNC_IR_OP_ENUM
};

enum class OpClass : std::uint8_t { Leaf, Unary, Binary, MatVec, Outer, Broadcast, Pad, Slice, Concat, Reduce, Softmax };

const char* op_mnemonic(Op op);
int op_arity(Op op);
OpClass op_class(Op op);

}  // namespace rnnc
