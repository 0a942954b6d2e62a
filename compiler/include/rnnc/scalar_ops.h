// The scalar meaning of every elementwise operation, in one place: the
// reference interpreter and constant folding both evaluate through it.
#pragma once

#include <algorithm>
#include <cmath>

#include "rnnc/internal_error.h"
#include "rnnc/ir.h"

namespace rnnc {

template <class Real>
Real apply_unary(Op op, Real x) {
  switch (op) {
    case Op::Neg: return -x;
    case Op::Sigmoid: return Real(1) / (Real(1) + std::exp(-x));
    case Op::Tanh: return std::tanh(x);
    case Op::Relu: return x > Real(0) ? x : Real(0);
    case Op::Exp: return std::exp(x);
    case Op::Log: return std::log(x);
    case Op::Sqrt: return std::sqrt(x);
    case Op::Abs: return std::abs(x);
    // log(1 + e^x) without overflow for large x.
    case Op::Softplus: return std::max(x, Real(0)) + std::log1p(std::exp(-std::abs(x)));
    case Op::Step: return x > Real(0) ? Real(1) : Real(0);
    case Op::Sign: return x > Real(0) ? Real(1) : x < Real(0) ? Real(-1) : Real(0);
    default: RNNC_ASSERT(false, std::string("not a unary operation: ") + op_mnemonic(op));
  }
}

template <class Real>
Real apply_binary(Op op, Real a, Real b) {
  switch (op) {
    case Op::Add: return a + b;
    case Op::Sub: return a - b;
    case Op::Mul: return a * b;
    case Op::Div: return a / b;
    case Op::Max: return std::max(a, b);
    case Op::Min: return std::min(a, b);
    case Op::GreaterEqual: return a >= b ? Real(1) : Real(0);
    default: RNNC_ASSERT(false, std::string("not a binary operation: ") + op_mnemonic(op));
  }
}

}  // namespace rnnc
