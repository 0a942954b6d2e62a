// Vectorizable elementary functions emitted as LLVM IR.
//
// Each emitter takes a float or a <N x float> value and returns one of the
// same type. It emits only arithmetic, bit operations, conversions, selects
// and comparisons -- no calls, not even to intrinsics -- so the loop
// vectorizer can widen a loop that uses it. Multiply-adds carry the
// `contract` flag, so the back end fuses them where the CPU has FMA.
// Fast-math flags on the caller's builder are ignored (saved and cleared),
// because the special-value handling relies on IEEE comparisons.
//
// Methods (P, Q: polynomials whose coefficients were fitted for this file
// with a Lawson/Loeb iteration towards relative minimax error, then rounded
// to float; the structure follows S. L. Moshier's Cephes library):
//
//   exp      x = n ln2 + r, n = round(x / ln2) by the 1.5*2^23 shifter, r by a
//            Cody-Waite two-constant split of ln2 (0.693359375 and
//            -2.12194440e-4, as in Cephes expf); e^r = 1 + r + r^2 P(r),
//            deg P = 4 (Exact) or 3 (Fast). x is clamped to [-104, 89], and
//            2^n is applied as two factors 2^(n/2) 2^(n-n/2) built in the
//            exponent bits, so overflow gives +inf, results below 2^-126 are
//            gradual denormals (flushed to 0 where the kernel sets FTZ), and
//            e^-inf = 0; NaN propagates.
//   log      x = 2^k m, m in [sqrt(1/2), sqrt(2)), by integer arithmetic on the
//            bits (denormal x scaled by 2^23 first); f = m - 1 (exact);
//            log(1+f) = f - f^2/2 + f^3 P(f), deg P = 7 (Exact) or 4 (Fast);
//            k ln2 added with the same Cody-Waite split. log(0) = -inf,
//            log(x<0) = NaN, log(+inf) = +inf, NaN propagates.
//   log1p    u = 1 + t rounded, d = t - (u - 1) its rounding error; u = 2^k m as
//            for log and f = (m - 1) + d 2^-k, so log1p(t) = k ln2 + log(1+f)
//            with the same polynomial -- no division. Special values as
//            log(u).
//   tanh     Exact: |x| < 0.625: x + x^3 P(x^2), deg P = 4; otherwise
//            (1 - t) / (1 + t) with t = e^(-2|x|) (Exact exp), sign restored.
//            Fast: a rational x P(x^2) / Q(x^2), deg P = 3, deg Q = 4, on x
//            clamped to [-9, 9] and the result clamped to [-1, 1]; no exp.
//   sigmoid  t = e^-|x| (Exact/Fast exp); (x < 0 ? t : 1) / (1 + t). Never
//            overflows; relative accuracy holds for large negative x too.
//   softplus max(x, 0) + log1p(e^-|x|), log1p and exp of the same accuracy
//            (the log1p argument is in [0, 1], so its special cases are
//            skipped). Never overflows.
//
// Measured worst errors (tests/test_vector_math.cpp, host AVX2+FMA, no FTZ;
// ulp relative to the double-precision libm value rounded to float; the sweep
// covers every 2^-k-strided float in [-20, 20] and the wider domains listed,
// plus special values). "abs" is the worst absolute error.
//
//   function   accuracy  worst ulp   worst abs     domain of the ulp figure
//   exp        Exact     TBD
//   exp        Fast      TBD
//   log        Exact     TBD
//   log        Fast      TBD
//   log1p      Exact     TBD
//   log1p      Fast      TBD
//   tanh       Exact     TBD
//   tanh       Fast      TBD
//   sigmoid    Exact     TBD
//   sigmoid    Fast      TBD
//   softplus   Exact     TBD
//   softplus   Fast      TBD
#pragma once

#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Value.h>

namespace rnnc {

// Exact: within a few ulp everywhere the result is a normal float. Fast: a
// cheaper approximation with the larger, measured bound listed above.
enum class MathAccuracy { Exact, Fast };

llvm::Value* emit_exp(llvm::IRBuilder<>& b, llvm::Value* x, MathAccuracy accuracy);
llvm::Value* emit_log(llvm::IRBuilder<>& b, llvm::Value* x, MathAccuracy accuracy);
llvm::Value* emit_log1p(llvm::IRBuilder<>& b, llvm::Value* x, MathAccuracy accuracy);
llvm::Value* emit_tanh(llvm::IRBuilder<>& b, llvm::Value* x, MathAccuracy accuracy);
llvm::Value* emit_sigmoid(llvm::IRBuilder<>& b, llvm::Value* x, MathAccuracy accuracy);
// log(1 + e^x), computed as max(x, 0) + log1p(e^-|x|): no overflow.
llvm::Value* emit_softplus(llvm::IRBuilder<>& b, llvm::Value* x, MathAccuracy accuracy);

}  // namespace rnnc
