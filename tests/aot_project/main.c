/* Runs the ahead-of-time Elman RNN h' = tanh(W_xh x + W_hh h + b) for two
 * steps and checks it against the same in plain C. */
#include <math.h>
#include <stdio.h>

#include "elman.h"

enum { T = 2, I = RNN_DIM_I, H = RNN_DIM_H };

int main(void) {
  float W_xh[H * I], W_hh[H * H], b[H], x[T * I], h0[H], y[T * H], h_final[H], packed[RNN_PACKED_FLOATS];
  double h[H], expected[H];
  const float* params[RNN_NUM_PARAMS];
  const float* inputs[] = {x};
  const float* initial_states[] = {h0};
  float* outputs[] = {y};
  float* final_states[] = {h_final};
  int i, j, t, wrong = 0;
  for (i = 0; i < H * I; ++i) W_xh[i] = 0.1f * (float)(i % 7) - 0.3f;
  for (i = 0; i < H * H; ++i) W_hh[i] = 0.05f * (float)(i % 5) - 0.1f;
  for (i = 0; i < H; ++i) b[i] = 0.01f * (float)i, h0[i] = 0.2f - 0.1f * (float)i, h[i] = h0[i];
  for (i = 0; i < T * I; ++i) x[i] = 0.3f * (float)(i % 4) - 0.4f;
  params[RNN_PARAM_W_xh] = W_xh, params[RNN_PARAM_W_hh] = W_hh, params[RNN_PARAM_b] = b;

  if (rnn_pack_weights(params, packed) != RNNC_OK ||
      rnn_forward_inference(T, 1, inputs, initial_states, outputs, final_states, params, packed, NULL, 1) != RNNC_OK) {
    printf("a call failed\n");
    return 1;
  }
  for (t = 0; t < T; ++t) {
    for (i = 0; i < H; ++i) {
      double z = b[i];
      for (j = 0; j < I; ++j) z += W_xh[i * I + j] * (double)x[t * I + j];
      for (j = 0; j < H; ++j) z += W_hh[i * H + j] * h[j];
      expected[i] = tanh(z);
    }
    for (i = 0; i < H; ++i) {
      h[i] = expected[i];
      if (fabs(y[t * H + i] - h[i]) > 1e-5) ++wrong;
    }
  }
  printf(wrong ? "uses_rnnc: FAILED\n" : "uses_rnnc: passed\n");
  return wrong ? 1 : 0;
}
