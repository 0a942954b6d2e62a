// Vectorizable exp, log, log1p, tanh, sigmoid and softplus as LLVM IR; the
// methods and measured errors are in vector_math.h.
#include "codegen/vector_math.h"

#include <cstdint>
#include <initializer_list>

#include <llvm/IR/Constants.h>
#include <llvm/IR/DerivedTypes.h>

#include "rnnc/internal_error.h"

namespace rnnc {

namespace {

// Polynomial coefficients, lowest degree first. Fitted for rnnc (relative
// minimax by Lawson's iteration in 40-digit arithmetic, rounded to float);
// the forms are those of Cephes' expf, logf and tanhf.

// e^r = 1 + r + r^2 P(r) on |r| <= ln2/2. Fitted relative error 3.3e-9
// (Exact), 1.1e-7 (Fast).
constexpr float kExpExact[] = {4.99999940e-1f, 1.66665152e-1f, 4.16684560e-2f, 8.36941879e-3f, 1.38131436e-3f};
constexpr float kExpFast[] = {4.99992013e-1f, 1.66671336e-1f, 4.18944992e-2f, 8.31205025e-3f};

// log(1+f) = f - f^2/2 + f^3 P(f) on sqrt(1/2)-1 <= f < sqrt(2)-1. Fitted
// relative error 5.9e-9 (Exact), 1.6e-6 (Fast).
constexpr float kLogExact[] = {3.33333313e-1f,  -2.50008255e-1f, 2.00012356e-1f,  -1.66231439e-1f,
                               1.42013714e-1f,  -1.31620154e-1f, 1.27654016e-1f,  -7.63430968e-2f};
constexpr float kLogFast[] = {3.33207995e-1f, -2.49435946e-1f, 2.04434246e-1f, -1.84109896e-1f, 1.17814764e-1f};

// tanh(x) = x + x^3 P(x^2) on |x| < 0.625. Fitted relative error 4.4e-9.
constexpr float kTanhSmall[] = {-3.33332807e-1f, 1.33314416e-1f, -5.37397116e-2f, 2.06390787e-2f, -5.70497848e-3f};
constexpr float kTanhSmallLimit = 0.625f;

// tanh(x) = x P(x^2) / Q(x^2) on |x| <= 9 (Fast), P(0) = Q(0) = 1 so that
// tanh(x) = x for tiny x. Fitted relative error 2.1e-8 (3.3e-8 with the
// float coefficients); above 9, float tanh is 1 within 1 ulp.
constexpr float kTanhRationalP[] = {1.0f, 1.33839430e-1f, 3.49895139e-3f, 2.06605206e-5f, 1.34187982e-8f};
constexpr float kTanhRationalQ[] = {1.0f, 4.67172645e-1f, 2.58900373e-2f, 3.29096489e-4f, 7.80430860e-7f};
constexpr float kTanhRationalLimit = 9.0f;

// ln2 = kLn2High + kLn2Low; kLn2High has 9 significant bits, so k * kLn2High
// is exact for |k| < 2^15 (Cody & Waite; the split of Cephes).
constexpr float kLn2High = 0.693359375f;
constexpr float kLn2Low = -2.12194440e-4f;
constexpr float kLog2e = 1.44269504088896341f;
// Adding 1.5 * 2^23 rounds a float of magnitude < 2^22 to an integer, which
// then sits in the low mantissa bits.
constexpr float kShifter = 12582912.0f;
constexpr std::int32_t kShifterBits = 0x4B400000;
constexpr std::int32_t kSqrtHalfBits = 0x3F3504F3;  // sqrt(1/2) rounded to float

class MathEmitter {
 public:
  MathEmitter(llvm::IRBuilder<>& b, llvm::Value* x) : b_(b), guard_(b) {
    b_.clearFastMathFlags();
    float_type_ = x->getType();
    RNNC_ASSERT(float_type_->getScalarType()->isFloatTy(), "vector math takes float or <N x float> values");
    int_type_ = float_type_->getWithNewType(b_.getInt32Ty());
  }

  // e^x. `nonpositive`: the caller guarantees x <= 0 or NaN, so the upper
  // clamp is not needed.
  llvm::Value* exp(llvm::Value* x, MathAccuracy accuracy, bool nonpositive = false) {
    // Below -104, e^x < 2^-150 rounds to 0; above 89 it overflows, since the
    // clamped value still does. NaN fails both comparisons and stays.
    x = b_.CreateSelect(b_.CreateFCmpOLT(x, f(-104.0f)), f(-104.0f), x);
    if (!nonpositive) x = b_.CreateSelect(b_.CreateFCmpOGT(x, f(89.0f)), f(89.0f), x);
    llvm::Value* shifted = fma(x, f(kLog2e), f(kShifter));
    llvm::Value* n_float = b_.CreateFSub(shifted, f(kShifter));
    llvm::Value* n = b_.CreateSub(bits(shifted), i(kShifterBits));  // in [-150, 128]
    llvm::Value* r = fma(n_float, f(-kLn2High), x);                   // exact
    r = fma(n_float, f(-kLn2Low), r);
    llvm::Value* r2 = b_.CreateFMul(r, r);
    llvm::Value* p = accuracy == MathAccuracy::Exact ? polynomial(r, kExpExact) : polynomial(r, kExpFast);
    p = b_.CreateFAdd(fma(p, r2, r), f(1.0f));
    if (nonpositive) {
      // n <= 0: one factor, 2^max(n, -127), whose exponent field is 0 (the
      // factor 0) below 2^-126, where the result is a denormal the kernels
      // flush anyway.
      return b_.CreateFMul(p, power_of_two(b_.CreateSelect(b_.CreateICmpSLT(n, i(-127)), i(-127), n)));
    }
    // 2^n as two normal factors, so that 2^128 overflows and 2^-150 rounds
    // once into the denormals.
    llvm::Value* half = b_.CreateAShr(n, i(1));
    llvm::Value* rest = b_.CreateSub(n, half);
    return b_.CreateFMul(b_.CreateFMul(p, power_of_two(half)), power_of_two(rest));
  }

  llvm::Value* log(llvm::Value* x, MathAccuracy accuracy) {
    // Denormals: scale into the normal range first.
    llvm::Value* denormal = b_.CreateFCmpOLT(x, f(0x1p-126f));
    llvm::Value* scaled = b_.CreateSelect(denormal, b_.CreateFMul(x, f(0x1p23f)), x);
    llvm::Value* k_bias = b_.CreateSelect(denormal, f(-23.0f), f(0.0f));
    llvm::Value* k;
    llvm::Value* m = split(scaled, k);
    llvm::Value* k_float = b_.CreateFAdd(b_.CreateSIToFP(k, float_type_), k_bias);
    llvm::Value* f_ = b_.CreateFSub(m, f(1.0f));  // exact (Sterbenz)
    return log_special_cases(x, log_kernel(f_, k_float, accuracy));
  }

  // log(1 + t). `bounded`: the caller guarantees t in [0, 1] or NaN, so the
  // special cases are not needed.
  llvm::Value* log1p(llvm::Value* t, MathAccuracy accuracy, bool bounded = false) {
    llvm::Value* u = b_.CreateFAdd(f(1.0f), t);
    // The rounding error of u: exact for |t| <= 1 (Fast2Sum) and for t up to
    // 2^24 (Sterbenz); negligible beyond.
    llvm::Value* error = b_.CreateFSub(t, b_.CreateFSub(u, f(1.0f)));
    llvm::Value* k;
    llvm::Value* m = split(u, k);
    // 2^-k; k <= 128, clamped to 126 where 2^-k would not be a normal float.
    llvm::Value* exponent = b_.CreateSub(i(127), k);
    if (!bounded) exponent = b_.CreateSelect(b_.CreateICmpSLT(exponent, i(1)), i(1), exponent);
    llvm::Value* inverse_scale = b_.CreateBitCast(b_.CreateShl(exponent, i(23)), float_type_);
    // 1 + t = 2^k (m + error 2^-k), so log1p(t) = k ln2 + log1p(m - 1 + error 2^-k).
    llvm::Value* f_ = fma(error, inverse_scale, b_.CreateFSub(m, f(1.0f)));
    llvm::Value* result = log_kernel(f_, b_.CreateSIToFP(k, float_type_), accuracy);
    return bounded ? result : log_special_cases(u, result);
  }

  llvm::Value* tanh(llvm::Value* x, MathAccuracy accuracy) {
    llvm::Value* a = abs(x);
    if (accuracy == MathAccuracy::Fast) {
      llvm::Value* z = b_.CreateFMul(a, a);
      llvm::Value* y = b_.CreateFDiv(b_.CreateFMul(a, polynomial(z, kTanhRationalP)), polynomial(z, kTanhRationalQ));
      // 1 beyond the fitted range (where P/Q may be inf/inf); NaN stays.
      y = b_.CreateSelect(b_.CreateFCmpULT(a, f(kTanhRationalLimit)), y, f(1.0f));
      y = b_.CreateSelect(b_.CreateFCmpOGT(y, f(1.0f)), f(1.0f), y);
      return with_sign_of(y, x);
    }
    llvm::Value* z = b_.CreateFMul(a, a);
    llvm::Value* small = fma(b_.CreateFMul(a, z), polynomial(z, kTanhSmall), a);
    llvm::Value* t = exp(b_.CreateFMul(a, f(-2.0f)), accuracy, /*nonpositive=*/true);
    llvm::Value* large = b_.CreateFDiv(b_.CreateFSub(f(1.0f), t), b_.CreateFAdd(f(1.0f), t));
    llvm::Value* y = b_.CreateSelect(b_.CreateFCmpOLT(a, f(kTanhSmallLimit)), small, large);
    return with_sign_of(y, x);
  }

  llvm::Value* sigmoid(llvm::Value* x, MathAccuracy accuracy) {
    llvm::Value* t = exp(b_.CreateFNeg(abs(x)), accuracy, /*nonpositive=*/true);
    llvm::Value* numerator = b_.CreateSelect(b_.CreateFCmpOLT(x, f(0.0f)), t, f(1.0f));
    llvm::Value* d = b_.CreateFAdd(f(1.0f), t);
    llvm::Value* q = b_.CreateFDiv(numerator, d);
    if (accuracy == MathAccuracy::Fast) return q;
    // Exact: 1 + t = d + e exactly (Fast2Sum, t <= 1), so the quotient is
    // q (1 - e/d); 1/d in [1/2, 1] is taken as 1.5 - d/2 (within 13%), which
    // is plenty for a correction below half an ulp. Saves about 0.5 ulp.
    llvm::Value* e = b_.CreateFAdd(b_.CreateFSub(f(1.0f), d), t);
    llvm::Value* inverse = fma(d, f(-0.5f), f(1.5f));
    return fma(b_.CreateFNeg(b_.CreateFMul(q, e)), inverse, q);
  }

  llvm::Value* softplus(llvm::Value* x, MathAccuracy accuracy) {
    llvm::Value* positive = b_.CreateSelect(b_.CreateFCmpOGT(x, f(0.0f)), x, f(0.0f));
    llvm::Value* t = exp(b_.CreateFNeg(abs(x)), accuracy, /*nonpositive=*/true);
    return b_.CreateFAdd(positive, log1p(t, accuracy, /*bounded=*/true));
  }

 private:
  llvm::Constant* f(float value) { return llvm::ConstantFP::get(float_type_, value); }
  llvm::Constant* i(std::int32_t value) { return llvm::ConstantInt::getSigned(int_type_, value); }
  llvm::Value* bits(llvm::Value* x) { return b_.CreateBitCast(x, int_type_); }

  // a * b + c, fused where the target has FMA.
  llvm::Value* fma(llvm::Value* a, llvm::Value* b, llvm::Value* c) {
    llvm::Value* product = b_.CreateFMul(a, b);
    llvm::Value* sum = b_.CreateFAdd(product, c);
    for (llvm::Value* value : {product, sum}) {
      if (auto* instruction = llvm::dyn_cast<llvm::Instruction>(value)) {
        llvm::FastMathFlags flags;
        flags.setAllowContract();
        instruction->setFastMathFlags(flags);
      }
    }
    return sum;
  }

  // Horner's scheme, coefficients lowest degree first.
  template <std::size_t N>
  llvm::Value* polynomial(llvm::Value* x, const float (&coefficients)[N]) {
    llvm::Value* result = f(coefficients[N - 1]);
    for (std::size_t k = N - 1; k-- > 0;) result = fma(result, x, f(coefficients[k]));
    return result;
  }

  llvm::Value* abs(llvm::Value* x) { return b_.CreateBitCast(b_.CreateAnd(bits(x), i(0x7FFFFFFF)), float_type_); }

  // |y| with the sign bit of x (y is non-negative or NaN).
  llvm::Value* with_sign_of(llvm::Value* y, llvm::Value* x) {
    llvm::Value* sign = b_.CreateAnd(bits(x), i(std::int32_t(0x80000000u)));
    return b_.CreateBitCast(b_.CreateOr(bits(y), sign), float_type_);
  }

  // 2^n for n in [-126, 127] (and 0 for n = -127), built in the exponent field.
  llvm::Value* power_of_two(llvm::Value* n) {
    return b_.CreateBitCast(b_.CreateShl(b_.CreateAdd(n, i(127)), i(23)), float_type_);
  }

  // x = 2^k m with m in [sqrt(1/2), sqrt(2)), for positive normal x; returns
  // m and sets k (an integer vector). Other x give garbage, replaced later.
  llvm::Value* split(llvm::Value* x, llvm::Value*& k) {
    llvm::Value* x_bits = bits(x);
    k = b_.CreateAShr(b_.CreateSub(x_bits, i(kSqrtHalfBits)), i(23));
    return b_.CreateBitCast(b_.CreateSub(x_bits, b_.CreateShl(k, i(23))), float_type_);
  }

  // k ln2 + log(1+f) for f in [sqrt(1/2)-1, sqrt(2)-1).
  llvm::Value* log_kernel(llvm::Value* f_, llvm::Value* k, MathAccuracy accuracy) {
    llvm::Value* f2 = b_.CreateFMul(f_, f_);
    llvm::Value* p = accuracy == MathAccuracy::Exact ? polynomial(f_, kLogExact) : polynomial(f_, kLogFast);
    llvm::Value* y = b_.CreateFMul(b_.CreateFMul(f_, f2), p);
    y = fma(k, f(kLn2Low), y);
    y = fma(f2, f(-0.5f), y);
    return fma(k, f(kLn2High), b_.CreateFAdd(f_, y));
  }

  // log(x) is `result` for positive finite x, -inf for ±0, NaN below 0 and
  // for NaN, +inf for +inf. (Nested selects: `0 < x < inf` would become an
  // llvm.is.fpclass that x86 lowers to eight integer operations.)
  llvm::Value* log_special_cases(llvm::Value* x, llvm::Value* result) {
    llvm::Constant* inf = llvm::ConstantFP::getInfinity(float_type_);
    result = b_.CreateSelect(b_.CreateFCmpOEQ(x, inf), inf, result);
    llvm::Value* special = b_.CreateSelect(b_.CreateFCmpOEQ(x, f(0.0f)), llvm::ConstantFP::getInfinity(float_type_, true),
                                           llvm::ConstantFP::getNaN(float_type_));
    return b_.CreateSelect(b_.CreateFCmpOGT(x, f(0.0f)), result, special);
  }

  llvm::IRBuilder<>& b_;
  llvm::IRBuilderBase::FastMathFlagGuard guard_;
  llvm::Type* float_type_;
  llvm::Type* int_type_;
};

}  // namespace

llvm::Value* emit_exp(llvm::IRBuilder<>& b, llvm::Value* x, MathAccuracy accuracy) {
  return MathEmitter(b, x).exp(x, accuracy);
}

llvm::Value* emit_log(llvm::IRBuilder<>& b, llvm::Value* x, MathAccuracy accuracy) {
  return MathEmitter(b, x).log(x, accuracy);
}

llvm::Value* emit_log1p(llvm::IRBuilder<>& b, llvm::Value* x, MathAccuracy accuracy) {
  return MathEmitter(b, x).log1p(x, accuracy);
}

llvm::Value* emit_tanh(llvm::IRBuilder<>& b, llvm::Value* x, MathAccuracy accuracy) {
  return MathEmitter(b, x).tanh(x, accuracy);
}

llvm::Value* emit_sigmoid(llvm::IRBuilder<>& b, llvm::Value* x, MathAccuracy accuracy) {
  return MathEmitter(b, x).sigmoid(x, accuracy);
}

llvm::Value* emit_softplus(llvm::IRBuilder<>& b, llvm::Value* x, MathAccuracy accuracy) {
  return MathEmitter(b, x).softplus(x, accuracy);
}

}  // namespace rnnc
