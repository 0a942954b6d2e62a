// One step of char_rnn's training, data-parallel: what char_rnn runs at
// every step and what the data-parallel tests check against one process.
#pragma once

#include <cstdint>
#include <span>

#include "char_model.h"
#include "corpus.h"
#include "rnnc/data_parallel.h"
#include "rnnc/optimizer.h"

namespace char_rnn {

// Truncated BPTT over chunk `chunk` of this rank's streams (`batches`
// reads this rank's part of the global batch; `state` carries their state
// from chunk to chunk, cleared at the start of each pass), the gradients
// combined over the ranks into those of the global batch's mean loss,
// clipped to a global norm of `clip_norm`, then the optimizer's step.
// Returns the global batch's mean loss.
float train_step(CharModel& model, const StreamBatcher& batches, std::int64_t chunk, rnnc::StateList& state,
                 rnnc::Optimizer& optimizer, rnnc::DataParallel& group, float clip_norm);

}  // namespace char_rnn
