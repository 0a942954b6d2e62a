// Parameter initialization with PyTorch's default distributions (the same
// distributions, not the same numbers: the numbers come from rnnc::Rng).
//   nn.RNN / nn.LSTM / nn.GRU   every parameter U(-b, b), b = rnn_default_bound(hidden)
//   nn.Linear                   weight and bias U(-b, b), b = linear_default_bound(in_features)
//   nn.Embedding                N(0, 1): init_normal(values, 1, rng)
#pragma once

#include <cstdint>
#include <span>

#include "rnnc/random.h"

namespace rnnc {

// U(-bound, bound).
void init_uniform(std::span<float> values, float bound, Rng& rng);
// 1/sqrt(hidden).
float rnn_default_bound(std::int64_t hidden);
// 1/sqrt(fan_in).
float linear_default_bound(std::int64_t fan_in);
// U(-b, b) with b = sqrt(6 / (fan_in + fan_out)) (nn.init.xavier_uniform_).
void init_xavier_uniform(std::span<float> values, std::int64_t fan_in, std::int64_t fan_out, Rng& rng);
// N(0, stddev²).
void init_normal(std::span<float> values, float stddev, Rng& rng);

}  // namespace rnnc
