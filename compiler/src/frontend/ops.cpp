#include "rnnc/ops.h"

namespace rnnc {

const char* op_mnemonic(Op op) {
  switch (op) {
#define RNNC_IR_OP_MNEMONIC(name, text, arity, op_class) \
  case Op::name: return text;
    RNNC_IR_OPS(RNNC_IR_OP_MNEMONIC)
#undef RNNC_IR_OP_MNEMONIC
  }
  return "?";
}

int op_arity(Op op) {
  switch (op) {
#define RNNC_IR_OP_ARITY(name, text, arity, op_class) \
  case Op::name: return arity;
    RNNC_IR_OPS(RNNC_IR_OP_ARITY)
#undef RNNC_IR_OP_ARITY
  }
  return 0;
}

OpClass op_class(Op op) {
  switch (op) {
#define RNNC_IR_OP_CLASS(name, text, arity, op_class) \
  case Op::name: return OpClass::op_class;
    RNNC_IR_OPS(RNNC_IR_OP_CLASS)
#undef RNNC_IR_OP_CLASS
  }
  return OpClass::Leaf;
}

}  // namespace rnnc
