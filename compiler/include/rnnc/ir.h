// The cell IR: one time step of one sample as an SSA graph of operations on
// scalars and vectors. Nodes are stored in topological order and refer to
// their operands by index. Shapes are symbolic until bind_dimensions().
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "rnnc/dim_poly.h"
#include "rnnc/shape.h"

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

using NodeId = std::int32_t;

struct Node {
  Op op;
  Shape shape;                   // rank 0 (scalar) or 1 (vector); rank 2 only for Outer
  std::vector<NodeId> operands;  // all smaller than this node's id
  double constant = 0;           // Constant: the value
  int symbol = -1;               // Input, State: index into inputs/states; Param, MatVec(T), Outer: into params
  DimPoly slice_begin;           // Slice: first element taken; Pad: where the operand goes
  std::string name;              // the source name it was assigned to, if any (for printing)
};

inline Node make_node(Op op, Shape shape, std::vector<NodeId> operands) {
  Node node;
  node.op = op;
  node.shape = std::move(shape);
  node.operands = std::move(operands);
  return node;
}

// A declared input, state or parameter.
struct Symbol {
  std::string name;
  Shape shape;
};

struct Output {
  std::string name;
  NodeId node;
};

// A contribution of one step of one sample to a parameter's gradient, summed
// over time and batch: an Outer node for a matrix, else the parameter's shape.
struct ParamGradient {
  int param;
  NodeId node;
};

struct Graph {
  std::string cell_name;
  std::vector<std::string> dimension_names;
  std::map<std::string, std::int64_t> dimension_values;  // empty until bound
  std::vector<Symbol> inputs, states, params;
  std::vector<Node> nodes;
  std::vector<NodeId> next_states;  // parallel to states
  std::vector<Output> outputs;
  std::vector<ParamGradient> param_gradients;  // backward steps only

  const Node& node(NodeId id) const { return nodes[static_cast<std::size_t>(id)]; }
  bool is_bound() const { return dimension_values.size() == dimension_names.size(); }
};

// Index of the named symbol in `symbols`, or -1.
int find_symbol(const std::vector<Symbol>& symbols, const std::string& name);

// Number of elements of a bound shape (1 for a scalar).
std::int64_t element_count(const Shape& shape);

// Checks the graph's structural invariants (operand order and counts,
// symbol indices, shapes of results); aborts with an internal error message
// when one is broken. Passes call it on what they produce.
void verify_graph(const Graph& graph);

}  // namespace rnnc
