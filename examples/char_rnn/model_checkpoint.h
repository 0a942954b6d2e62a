// Saving and resuming char_rnn: the model's parameters and the optimizer's
// state as named tensors, the sizes as dimensions, the vocabulary and the
// step count as metadata.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "rnnc/checkpoint.h"

namespace char_rnn {

struct ModelShape {
  std::int64_t vocabulary = 0, embedding = 0, hidden = 0, layers = 0;
};

// Named views of everything a checkpoint holds.
using NamedTensors = std::vector<std::pair<std::string, std::span<float>>>;

// A checkpoint of `tensors` for a model of `shape` built from the cell
// `cell_text`.
rnnc::Checkpoint make_checkpoint(const std::string& cell_name, const std::string& cell_text, const ModelShape& shape,
                                 const std::string& vocabulary, std::int64_t step, const NamedTensors& tensors);

// The shape and vocabulary stored in `checkpoint`; throws
// rnnc::CheckpointError when they are missing.
ModelShape shape_of(const rnnc::Checkpoint& checkpoint);
std::string vocabulary_of(const rnnc::Checkpoint& checkpoint);
std::int64_t step_of(const rnnc::Checkpoint& checkpoint);

// Copies the loaded tensors into `tensors` after require_compatible()
// with the checkpoint this model would save.
void restore(const rnnc::Checkpoint& loaded, const rnnc::Checkpoint& expected, const NamedTensors& tensors);

}  // namespace char_rnn
