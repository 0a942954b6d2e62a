/* Runs dsl/lstm.cell (I=8, H=16), compiled ahead of time by rnnc_add_cell,
 * over a sequence: forward inference, forward training and backward on
 * 2 threads. Checks every output, final state and gradient against a plain
 * C LSTM in double precision with its hand-written backpropagation through
 * time. Exits 0 when all agree. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aot_lstm.h"

enum { T = 5, B = 3, I = LSTM_DIM_I, H = LSTM_DIM_H, G = 4 * LSTM_DIM_H };

static float W_ih[G * I], W_hh[G * H], b_ih[G], b_hh[G];
static float x[T * B * I], h0[B * H], c0[B * H], dy[T * B * H];

/* Uniform in [-0.5, 0.5) from a fixed linear congruential sequence. */
static float next_random(void) {
  static unsigned long long state = 42;
  state = state * 6364136223846793005ULL + 1442695040888963407ULL;
  return (float)((state >> 40) / 16777216.0 - 0.5);
}

static void fill(float* buffer, int count) {
  int i;
  for (i = 0; i < count; ++i) buffer[i] = next_random();
}

static double sigmoid(double z) { return 1.0 / (1.0 + exp(-z)); }

/* The reference: PyTorch's LSTM (gates i, f, g, o), forward over the whole
 * sequence, then backpropagation of the loss sum(y * dy) through time. */
typedef struct {
  double y[T * B * H], h_final[B * H], c_final[B * H];
  double dx[T * B * I], dh0[B * H], dc0[B * H];
  double dW_ih[G * I], dW_hh[G * H], db[G];  /* db: of b_ih and of b_hh alike */
} Reference;

static void reference(Reference* r) {
  static double h[T + 1][B][H], c[T + 1][B][H], gates[T][B][G];
  int t, b, j, k;
  memset(r, 0, sizeof *r);
  for (b = 0; b < B; ++b) {
    for (j = 0; j < H; ++j) h[0][b][j] = h0[b * H + j], c[0][b][j] = c0[b * H + j];
  }
  for (t = 0; t < T; ++t) {
    for (b = 0; b < B; ++b) {
      const float* xt = x + (t * B + b) * I;
      for (k = 0; k < G; ++k) {
        double z = b_ih[k] + b_hh[k];
        for (j = 0; j < I; ++j) z += W_ih[k * I + j] * (double)xt[j];
        for (j = 0; j < H; ++j) z += W_hh[k * H + j] * h[t][b][j];
        gates[t][b][k] = (k >= 2 * H && k < 3 * H) ? tanh(z) : sigmoid(z);
      }
      for (j = 0; j < H; ++j) {
        double i = gates[t][b][j], f = gates[t][b][H + j], g = gates[t][b][2 * H + j], o = gates[t][b][3 * H + j];
        c[t + 1][b][j] = f * c[t][b][j] + i * g;
        h[t + 1][b][j] = o * tanh(c[t + 1][b][j]);
        r->y[(t * B + b) * H + j] = h[t + 1][b][j];
      }
    }
  }
  for (b = 0; b < B; ++b) {
    for (j = 0; j < H; ++j) r->h_final[b * H + j] = h[T][b][j], r->c_final[b * H + j] = c[T][b][j];
  }
  for (b = 0; b < B; ++b) {
    double dh[H] = {0}, dc[H] = {0}, dz[G];
    for (t = T - 1; t >= 0; --t) {
      for (j = 0; j < H; ++j) {
        double i = gates[t][b][j], f = gates[t][b][H + j], g = gates[t][b][2 * H + j], o = gates[t][b][3 * H + j];
        double tc = tanh(c[t + 1][b][j]);
        double dh_total = dh[j] + dy[(t * B + b) * H + j];
        double dc_total = dc[j] + dh_total * o * (1 - tc * tc);
        dz[j] = dc_total * g * i * (1 - i);
        dz[H + j] = dc_total * c[t][b][j] * f * (1 - f);
        dz[2 * H + j] = dc_total * i * (1 - g * g);
        dz[3 * H + j] = dh_total * tc * o * (1 - o);
        dc[j] = dc_total * f;
      }
      for (j = 0; j < H; ++j) dh[j] = 0;
      for (k = 0; k < G; ++k) {
        r->db[k] += dz[k];
        for (j = 0; j < I; ++j) {
          r->dW_ih[k * I + j] += dz[k] * x[(t * B + b) * I + j];
          r->dx[(t * B + b) * I + j] += W_ih[k * I + j] * dz[k];
        }
        for (j = 0; j < H; ++j) {
          r->dW_hh[k * H + j] += dz[k] * h[t][b][j];
          dh[j] += W_hh[k * H + j] * dz[k];
        }
      }
    }
    for (j = 0; j < H; ++j) r->dh0[b * H + j] = dh[j], r->dc0[b * H + j] = dc[j];
  }
}

/* Counts the elements that differ from the reference by more than 1e-4
 * relative (against at least 1). */
static int compare(const char* name, const float* got, const double* expected, int count) {
  int i, wrong = 0;
  double worst = 0;
  for (i = 0; i < count; ++i) {
    double error = fabs(got[i] - expected[i]) / fmax(1.0, fabs(expected[i]));
    if (error > worst) worst = error;
    if (error > 1e-4) ++wrong;
  }
  printf("%-8s worst relative error %.2e%s\n", name, worst, wrong ? "  FAIL" : "");
  return wrong;
}

static int check(int error, const char* call) {
  if (error != RNNC_OK) {
    fprintf(stderr, "%s: %s\n", call, rnnc_error_string(error));
    exit(1);
  }
  return 0;
}

int main(void) {
  static float y[T * B * H], y_training[T * B * H], h_final[B * H], c_final[B * H];
  static float dx[T * B * I], dh0[B * H], dc0[B * H];
  static float dW_ih[G * I], dW_hh[G * H], db_ih[G], db_hh[G], packed[LSTM_PACKED_FLOATS];
  static Reference expected;
  const float* params[LSTM_NUM_PARAMS];
  float* gradients[LSTM_NUM_PARAMS];
  float* workspace = malloc(sizeof(float) * (size_t)lstm_workspace_floats(T, B));
  int wrong = 0;

  fill(W_ih, G * I), fill(W_hh, G * H), fill(b_ih, G), fill(b_hh, G);
  fill(x, T * B * I), fill(h0, B * H), fill(c0, B * H), fill(dy, T * B * H);
  params[LSTM_PARAM_W_ih] = W_ih, params[LSTM_PARAM_W_hh] = W_hh;
  params[LSTM_PARAM_b_ih] = b_ih, params[LSTM_PARAM_b_hh] = b_hh;
  gradients[LSTM_PARAM_W_ih] = dW_ih, gradients[LSTM_PARAM_W_hh] = dW_hh;
  gradients[LSTM_PARAM_b_ih] = db_ih, gradients[LSTM_PARAM_b_hh] = db_hh;
  {
    const float* inputs[] = {x};
    const float* initial_states[] = {h0, c0};
    float* outputs[] = {y};
    float* training_outputs[] = {y_training};
    float* final_states[] = {h_final, c_final};
    const float* output_adjoints[] = {dy};
    float* input_adjoints[] = {dx};
    float* initial_state_adjoints[] = {dh0, dc0};

    check(lstm_pack_weights(params, packed), "lstm_pack_weights");
    check(lstm_forward_inference(T, B, inputs, initial_states, outputs, final_states, params, packed, NULL, 2),
          "lstm_forward_inference");
    check(lstm_forward_training(T, B, inputs, initial_states, training_outputs, final_states, params, packed,
                                workspace, NULL, 2),
          "lstm_forward_training");
    check(lstm_backward(T, B, inputs, workspace, output_adjoints, NULL, input_adjoints, initial_state_adjoints,
                        params, packed, gradients, NULL, 2),
          "lstm_backward");
    if (lstm_forward_inference(-1, B, inputs, initial_states, outputs, final_states, params, packed, NULL, 1) !=
        RNNC_ERROR_EXTENT) {
      printf("a negative step count was not refused\n");
      ++wrong;
    }
  }
  free(workspace);

  reference(&expected);
  wrong += compare("y", y, expected.y, T * B * H);
  wrong += compare("y train", y_training, expected.y, T * B * H);
  wrong += compare("h final", h_final, expected.h_final, B * H);
  wrong += compare("c final", c_final, expected.c_final, B * H);
  wrong += compare("dx", dx, expected.dx, T * B * I);
  wrong += compare("dh0", dh0, expected.dh0, B * H);
  wrong += compare("dc0", dc0, expected.dc0, B * H);
  wrong += compare("dW_ih", dW_ih, expected.dW_ih, G * I);
  wrong += compare("dW_hh", dW_hh, expected.dW_hh, G * H);
  wrong += compare("db_ih", db_ih, expected.db, G);
  wrong += compare("db_hh", db_hh, expected.db, G);
  printf(wrong ? "aot_c: FAILED\n" : "aot_c: the ahead-of-time LSTM matches the plain C LSTM\n");
  return wrong ? 1 : 0;
}
