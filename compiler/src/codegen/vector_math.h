// Vectorizable elementary functions emitted as LLVM IR.
//
// Each emitter takes a float or a <N x float> value and returns one of the
// same type. It emits only arithmetic, bit operations, conversions, selects
// and comparisons -- no calls, not even to intrinsics -- so that it works
// on vectors of any width. (LLVM's optimizer turns some of
// them into llvm.fabs / llvm.smax, which lower to bit operations.) Multiply-adds carry the
// `contract` flag, so the back end fuses them where the CPU has FMA.
// Fast-math flags on the caller's builder are ignored (saved and cleared),
// because the special-value handling relies on IEEE comparisons.
//
// Methods. P and Q are polynomials whose coefficients were fitted for rnnc
// (relative minimax error by Lawson's / Loeb's iteration in 40-digit
// arithmetic, then rounded to float); the forms of exp, log and the small-|x|
// tanh follow S. L. Moshier's Cephes library (expf.c, logf.c, tanhf.c).
//
//   exp      x = n ln2 + r, n = round(x / ln2) by the 1.5*2^23 shifter, r by a
//            Cody-Waite two-constant split of ln2 (0.693359375 and
//            -2.12194440e-4, as in Cephes expf); e^r = 1 + r + r^2 P(r),
//            deg P = 4 (Exact) or 3 (Fast). x is clamped to [-104, 89], and
//            2^n is applied as two factors 2^(n>>1) 2^(n-(n>>1)) built in the
//            exponent bits, so overflow gives +inf, results below 2^-126 are
//            gradual denormals (0 where the kernel sets FTZ), e^-inf = 0 and
//            NaN propagates. Inside sigmoid, tanh and softplus (x <= 0) 2^n is
//            one factor, 2^max(n, -127), the factor 0 below 2^-126: results
//            there are 0 (within 2^-126), as the kernels' FTZ makes them.
//   log      x = 2^k m, m in [sqrt(1/2), sqrt(2)), by integer arithmetic on the
//            bits (denormal x scaled by 2^23 first); f = m - 1 (exact);
//            log(1+f) = f - f^2/2 + f^3 P(f), deg P = 7 (Exact) or 4 (Fast);
//            k ln2 added with the same Cody-Waite split. log(±0) = -inf,
//            log(x<0) = NaN, log(+inf) = +inf, NaN propagates.
//   log1p    u = 1 + t rounded, d = t - (u - 1) its rounding error; u = 2^k m as
//            for log and f = (m - 1) + d 2^-k, so log1p(t) = k ln2 + log(1+f)
//            with log's polynomial -- no division. Special values as log(u).
//   tanh     Exact: |x| < 0.625: x + x^3 P(x^2), deg P = 4; otherwise
//            (1 - t) / (1 + t) with t = e^(-2|x|) (Exact exp); sign restored.
//            Fast: rational |x| P(x^2) / Q(x^2), deg P = deg Q = 4,
//            P(0) = Q(0) = 1 (fitted relative error 2e-8 on [0, 9]); 1 for
//            |x| >= 9; clamped to 1; sign restored. No exp: about half the
//            instructions of Exact, and one division.
//   sigmoid  t = e^-|x|; (x < 0 ? t : 1) / (1 + t). Exact also corrects for
//            the rounding of 1 + t (Fast2Sum). Never overflows; relative
//            accuracy holds for large negative x too.
//   softplus max(x, 0) + log1p(e^-|x|), exp and log1p of the same accuracy
//            (the log1p argument is in [0, 1], so its special cases are
//            skipped). Never overflows; softplus(-inf) = 0, (+inf) = +inf.
//
// Measured worst errors over ALL 2^32 float inputs (test_vector_math
// [.math-exhaustive], host AMD Zen 3 with AVX2+FMA, MXCSR default), against
// double-precision libm. ulp: |got - exact| / ulp(exact), where the exact
// result is a normal float (results below 2^-126 are all within 2^-126, and
// zeros, infinities and NaNs are exact). abs: worst |got - exact| where
// |exact| <= 1.
//
//   function   Exact: ulp   abs        Fast: ulp   abs
//   exp               1.01  5.0e-8           2.34  1.3e-7
//   log               0.86  4.7e-8          25.3   5.4e-7
//   log1p             1.44  4.7e-8          25.3   5.7e-7
//   tanh              1.51  9.0e-8           5.25  3.1e-7
//   sigmoid           1.97  7.1e-8           3.64  9.6e-8
//   softplus          1.70  9.6e-8          25.8   5.4e-7
//
// Without FMA (baseline x86-64) and with FTZ/DAZ set, the strided sweeps of
// the [math] test stay within these figures except tanh Fast, 4.7 ulp where
// the host shows 4.1 on the same points; the test bounds allow 6.5.
//
// Throughput (llvm-mca block reciprocal throughput of the vectorized loop
// body, cycles per 8 floats, Zen 3 / Haswell): exp 6.5/7.5 (Fast 6.0/7.0),
// log 11/12.3 (9.5/10.8), log1p 10/12.8 (8.5/11.3), tanh 11/14 (Fast 6.5/14:
// Haswell's divider dominates), sigmoid 8.5/14 (6.5/14), softplus 13.5/17.8
// (11.5/15.8). Scalar libm tanhf runs at about 30 ns per element here.
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
