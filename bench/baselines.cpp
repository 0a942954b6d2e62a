#include "baselines.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#ifdef RNNC_BENCH_HAVE_OPENBLAS
#include <cblas.h>
#endif

namespace rnnc::bench {
namespace {

using Index = std::int64_t;

// C[m][n] = op(A)[m][k] · B[k][n] + beta · C, all row-major with leading
// dimensions lda, ldb, ldc; op(A) = A, or Aᵀ when trans_a (A is then
// stored [k][m]). beta is 0 or 1.
using Gemm = void (*)(bool trans_a, Index m, Index n, Index k, const float* a, Index lda, const float* b, Index ldb,
                      float beta, float* c, Index ldc);

void loop_gemm(bool trans_a, Index m, Index n, Index k, const float* a, Index lda, const float* b, Index ldb,
               float beta, float* c, Index ldc) {
  for (Index i = 0; i < m; ++i) {
    float* __restrict c_row = c + i * ldc;
    if (beta == 0.0f) std::fill_n(c_row, n, 0.0f);
    for (Index kk = 0; kk < k; ++kk) {
      const float a_ik = trans_a ? a[kk * lda + i] : a[i * lda + kk];
      const float* __restrict b_row = b + kk * ldb;
      for (Index j = 0; j < n; ++j) c_row[j] += a_ik * b_row[j];
    }
  }
}

#ifdef RNNC_BENCH_HAVE_OPENBLAS
// One row (B = 1 in the time loop) is a matrix-vector product: sgemm would
// pack the whole weight matrix on every call, so it goes to sgemv, as a
// BLAS user would write it.
void blas_gemm(bool trans_a, Index m, Index n, Index k, const float* a, Index lda, const float* b, Index ldb,
               float beta, float* c, Index ldc) {
  if (m == 1 && !trans_a) {  // c[n] = bᵀ[n][k] · a[k]
    cblas_sgemv(CblasRowMajor, CblasTrans, blasint(k), blasint(n), 1.0f, b, blasint(ldb), a, 1, beta, c, 1);
    return;
  }
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, CblasNoTrans, blasint(m), blasint(n), blasint(k),
              1.0f, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc));
}
#endif

Gemm gemm_of(GemmBackend backend) {
  if (backend == GemmBackend::Loop) return loop_gemm;
#ifdef RNNC_BENCH_HAVE_OPENBLAS
  return blas_gemm;
#else
  throw std::invalid_argument("bench_rnn was built without OpenBLAS");
#endif
}

float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

// [rows][cols] -> [cols][rows].
std::vector<float> transposed(const std::vector<float>& matrix, Index rows, Index cols) {
  std::vector<float> result(matrix.size());
  for (Index r = 0; r < rows; ++r)
    for (Index c = 0; c < cols; ++c) result[std::size_t(c * rows + r)] = matrix[std::size_t(r * cols + c)];
  return result;
}

// dbias[j] += Σ_r adjoints[r][j].
void add_column_sums(const float* adjoints, Index rows, Index cols, float* dbias) {
  for (Index r = 0; r < rows; ++r)
    for (Index j = 0; j < cols; ++j) dbias[j] += adjoints[r * cols + j];
}

// What both cells share: shape, pass, product backend, one layer's input
// and recurrent weights ([G·H][I] and [G·H][H], with transposed copies for
// the forward products), the data and the weight gradients.
class GatedBaseline : public Baseline {
 protected:
  GatedBaseline(Index gate_blocks, Pass pass, const Shape& shape, GemmBackend backend)
      : T(shape.steps), B(shape.batch), I(shape.input), H(shape.hidden), GH(gate_blocks * shape.hidden),
        rows(T * B), training(pass != Pass::ForwardInference), backward_too(pass == Pass::ForwardBackward),
        gemm(gemm_of(backend)) {
    RandomFill fill(7);
    const float scale = 1.0f / std::sqrt(float(H));
    wx = random(fill, GH * I, scale);
    wh = random(fill, GH * H, scale);
    wx_t = transposed(wx, GH, I);
    wh_t = transposed(wh, GH, H);
    x = random(fill, rows * I, 1.0f);
    h0 = random(fill, B * H, 1.0f);
    y.assign(std::size_t(rows * H), 0.0f);
    gates.assign(std::size_t(rows * GH), 0.0f);
    if (backward_too) {
      dy = random(fill, rows * H, 1.0f);
      dgates.assign(std::size_t(rows * GH), 0.0f);
      dx.assign(std::size_t(rows * I), 0.0f);
      dh.assign(std::size_t(B * H), 0.0f);
      dwx_t.assign(std::size_t(I * GH), 0.0f);
      dwh_t.assign(std::size_t(H * GH), 0.0f);
    }
  }

  static std::vector<float> random(RandomFill& fill, Index size, float scale) {
    std::vector<float> values(std::size_t(size), 0.0f);
    fill(values, scale);
    return values;
  }

 public:
  // The pass: forward, then (for fwd+bwd) backward.
  void run() final {
    forward();
    if (backward_too) backward();
  }

 protected:
  virtual void forward() = 0;
  virtual void backward() = 0;

  const float* previous_h(Index t) const { return t == 0 ? h0.data() : y.data() + (t - 1) * B * H; }

  // dW_ihᵀ += Xᵀ · dZx and dW_hhᵀ += H_prevᵀ · dZh over all rows, where the
  // previous states are h0, then the outputs of steps 0 .. T-2.
  void weight_gradients(const float* dzx, const float* dzh) {
    gemm(true, I, GH, rows, x.data(), I, dzx, GH, 1.0f, dwx_t.data(), GH);
    gemm(true, H, GH, B, h0.data(), H, dzh, GH, 1.0f, dwh_t.data(), GH);
    if (T > 1) gemm(true, H, GH, (T - 1) * B, y.data(), H, dzh + B * GH, GH, 1.0f, dwh_t.data(), GH);
  }

  const Index T, B, I, H, GH, rows;
  const bool training, backward_too;
  const Gemm gemm;
  std::vector<float> wx, wh, wx_t, wh_t;
  std::vector<float> x, h0, y;
  std::vector<float> gates;  // [T·B][G·H]: pre-activations, then (training) the activated gates
  std::vector<float> dy, dgates, dx, dh, dwx_t, dwh_t;
};

// lstm.cell: gates (i, f, g, o), one bias (b_ih + b_hh).
class LstmBaseline final : public GatedBaseline {
 public:
  LstmBaseline(Pass pass, const Shape& shape, GemmBackend backend) : GatedBaseline(4, pass, shape, backend) {
    RandomFill fill(11);
    bias = random(fill, GH, 1.0f / std::sqrt(float(H)));
    c0 = random(fill, B * H, 1.0f);
    c.assign(std::size_t((training ? rows : B) * H), 0.0f);
    if (training) tanh_c.assign(std::size_t(rows * H), 0.0f);
    if (backward_too) {
      dc.assign(std::size_t(B * H), 0.0f);
      dbias.assign(std::size_t(GH), 0.0f);
    }
  }

 private:
  void forward() override {
    gemm(false, rows, GH, I, x.data(), I, wx_t.data(), GH, 0.0f, gates.data(), GH);
    for (Index t = 0; t < T; ++t) {
      float* z = gates.data() + t * B * GH;
      const float* c_prev = t == 0 ? c0.data() : training ? c.data() + (t - 1) * B * H : c.data();
      float* c_next = training ? c.data() + t * B * H : c.data();
      float* h_next = y.data() + t * B * H;
      gemm(false, B, GH, H, previous_h(t), H, wh_t.data(), GH, 1.0f, z, GH);
      for (Index b = 0; b < B; ++b) {
        float* zb = z + b * GH;
        for (Index j = 0; j < H; ++j) {
          const float i = sigmoid(zb[j] + bias[std::size_t(j)]);
          const float f = sigmoid(zb[H + j] + bias[std::size_t(H + j)]);
          const float g = std::tanh(zb[2 * H + j] + bias[std::size_t(2 * H + j)]);
          const float o = sigmoid(zb[3 * H + j] + bias[std::size_t(3 * H + j)]);
          const float cell = f * c_prev[b * H + j] + i * g;
          const float tc = std::tanh(cell);
          c_next[b * H + j] = cell;
          h_next[b * H + j] = o * tc;
          if (training) {
            zb[j] = i, zb[H + j] = f, zb[2 * H + j] = g, zb[3 * H + j] = o;
            tanh_c[std::size_t((t * B + b) * H + j)] = tc;
          }
        }
      }
    }
  }

  void backward() override {
    std::fill(dh.begin(), dh.end(), 0.0f);
    std::fill(dc.begin(), dc.end(), 0.0f);
    for (Index t = T - 1; t >= 0; --t) {
      const float* z = gates.data() + t * B * GH;
      float* dz = dgates.data() + t * B * GH;
      const float* c_prev = t == 0 ? c0.data() : c.data() + (t - 1) * B * H;
      for (Index b = 0; b < B; ++b) {
        const float* zb = z + b * GH;
        float* dzb = dz + b * GH;
        for (Index j = 0; j < H; ++j) {
          const Index at = b * H + j;
          const float i = zb[j], f = zb[H + j], g = zb[2 * H + j], o = zb[3 * H + j];
          const float tc = tanh_c[std::size_t(t * B * H + at)];
          const float dh_total = dh[std::size_t(at)] + dy[std::size_t(t * B * H + at)];
          const float dc_total = dc[std::size_t(at)] + dh_total * o * (1.0f - tc * tc);
          dzb[j] = dc_total * g * i * (1.0f - i);
          dzb[H + j] = dc_total * c_prev[at] * f * (1.0f - f);
          dzb[2 * H + j] = dc_total * i * (1.0f - g * g);
          dzb[3 * H + j] = dh_total * tc * o * (1.0f - o);
          dc[std::size_t(at)] = dc_total * f;
        }
      }
      gemm(false, B, H, GH, dz, GH, wh.data(), H, 0.0f, dh.data(), H);
    }
    gemm(false, rows, I, GH, dgates.data(), GH, wx.data(), I, 0.0f, dx.data(), I);
    weight_gradients(dgates.data(), dgates.data());
    add_column_sums(dgates.data(), rows, GH, dbias.data());
  }

  std::vector<float> bias, c0;
  std::vector<float> c;       // training: [T·B][H], every step's; inference: [B][H], the current
  std::vector<float> tanh_c;  // training: [T·B][H]
  std::vector<float> dc, dbias;
};

// gru.cell (linear before reset): gates (r, z, n), biases b_ih and b_hh;
// n = tanh(W_in x + b_in + r * (W_hn h + b_hn)).
class GruBaseline final : public GatedBaseline {
 public:
  GruBaseline(Pass pass, const Shape& shape, GemmBackend backend) : GatedBaseline(3, pass, shape, backend) {
    RandomFill fill(13);
    const float scale = 1.0f / std::sqrt(float(H));
    b_ih = random(fill, GH, scale);
    b_hh = random(fill, GH, scale);
    recurrent.assign(std::size_t(B * GH), 0.0f);
    if (training) recurrent_n.assign(std::size_t(rows * H), 0.0f);
    if (backward_too) {
      drecurrent.assign(std::size_t(rows * GH), 0.0f);
      db_ih.assign(std::size_t(GH), 0.0f);
      db_hh.assign(std::size_t(GH), 0.0f);
    }
  }

 private:
  void forward() override {
    gemm(false, rows, GH, I, x.data(), I, wx_t.data(), GH, 0.0f, gates.data(), GH);
    for (Index t = 0; t < T; ++t) {
      float* gx = gates.data() + t * B * GH;
      const float* h_prev = previous_h(t);
      float* h_next = y.data() + t * B * H;
      gemm(false, B, GH, H, h_prev, H, wh_t.data(), GH, 0.0f, recurrent.data(), GH);
      for (Index b = 0; b < B; ++b) {
        float* gxb = gx + b * GH;
        const float* ghb = recurrent.data() + b * GH;
        for (Index j = 0; j < H; ++j) {
          const auto J = std::size_t(j), HJ = std::size_t(H + j), NJ = std::size_t(2 * H + j);
          const float r = sigmoid(gxb[j] + b_ih[J] + ghb[j] + b_hh[J]);
          const float z = sigmoid(gxb[H + j] + b_ih[HJ] + ghb[H + j] + b_hh[HJ]);
          const float gh_n = ghb[2 * H + j] + b_hh[NJ];
          const float n = std::tanh(gxb[2 * H + j] + b_ih[NJ] + r * gh_n);
          h_next[b * H + j] = (1.0f - z) * n + z * h_prev[b * H + j];
          if (training) {
            gxb[j] = r, gxb[H + j] = z, gxb[2 * H + j] = n;
            recurrent_n[std::size_t((t * B + b) * H + j)] = gh_n;
          }
        }
      }
    }
  }

  // dgates holds the adjoints of the input pre-activations (r, z, n) and
  // drecurrent those of the recurrent ones (r, z, r · dn).
  void backward() override {
    std::fill(dh.begin(), dh.end(), 0.0f);
    for (Index t = T - 1; t >= 0; --t) {
      const float* g = gates.data() + t * B * GH;
      const float* h_prev = previous_h(t);
      float* dzx = dgates.data() + t * B * GH;
      float* dzh = drecurrent.data() + t * B * GH;
      for (Index b = 0; b < B; ++b) {
        for (Index j = 0; j < H; ++j) {
          const Index at = b * H + j, gate = b * GH + j;
          const float r = g[gate], z = g[gate + H], n = g[gate + 2 * H];
          const float gh_n = recurrent_n[std::size_t(t * B * H + at)];
          const float dh_total = dh[std::size_t(at)] + dy[std::size_t(t * B * H + at)];
          const float dn = dh_total * (1.0f - z) * (1.0f - n * n);
          const float dr = dn * gh_n * r * (1.0f - r);
          const float dz = dh_total * (h_prev[at] - n) * z * (1.0f - z);
          dzx[gate] = dr, dzx[gate + H] = dz, dzx[gate + 2 * H] = dn;
          dzh[gate] = dr, dzh[gate + H] = dz, dzh[gate + 2 * H] = dn * r;
          dh[std::size_t(at)] = dh_total * z;
        }
      }
      gemm(false, B, H, GH, dzh, GH, wh.data(), H, 1.0f, dh.data(), H);
    }
    gemm(false, rows, I, GH, dgates.data(), GH, wx.data(), I, 0.0f, dx.data(), I);
    weight_gradients(dgates.data(), drecurrent.data());
    add_column_sums(dgates.data(), rows, GH, db_ih.data());
    add_column_sums(drecurrent.data(), rows, GH, db_hh.data());
  }

  std::vector<float> b_ih, b_hh;
  std::vector<float> recurrent;    // [B][3H]: W_hh h of the current step
  std::vector<float> recurrent_n;  // training: [T·B][H], W_hn h + b_hn of every step
  std::vector<float> drecurrent, db_ih, db_hh;
};

}  // namespace

bool blas_available() {
#ifdef RNNC_BENCH_HAVE_OPENBLAS
  return true;
#else
  return false;
#endif
}

void blas_use_one_thread() {
#ifdef RNNC_BENCH_HAVE_OPENBLAS
  openblas_set_num_threads(1);
#endif
}

const char* blas_description() {
#ifdef RNNC_BENCH_HAVE_OPENBLAS
  static const std::string description = std::string(openblas_get_config()) + " (" + openblas_get_corename() + ")";
  return description.c_str();
#else
  return "";
#endif
}

bool baseline_supports(CellKind cell) { return cell == CellKind::Lstm || cell == CellKind::Gru; }

std::unique_ptr<Baseline> make_baseline(CellKind cell, Pass pass, const Shape& shape, GemmBackend backend) {
  switch (cell) {
    case CellKind::Lstm: return std::make_unique<LstmBaseline>(pass, shape, backend);
    case CellKind::Gru: return std::make_unique<GruBaseline>(pass, shape, backend);
    default: break;
  }
  throw std::invalid_argument("no hand-written baseline for " + std::string(cell_name(cell)));
}

}  // namespace rnnc::bench
