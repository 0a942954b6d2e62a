#include "training_step.h"

#include <vector>

namespace char_rnn {

float train_step(CharModel& model, const StreamBatcher& batches, std::int64_t chunk, rnnc::StateList& state,
                 rnnc::Optimizer& optimizer, rnnc::DataParallel& group, float clip_norm) {
  if (chunk % batches.chunks_per_pass() == 0) state.clear();  // back at the start of the streams
  std::vector<std::int32_t> inputs, targets;
  batches.chunk(chunk, inputs, targets);
  const std::int64_t steps = batches.steps(), streams = batches.streams();
  optimizer.zero_gradients();
  const float local_loss = model.train_step(inputs, targets, steps, streams, state);
  // Every rank reads as many streams, so each weighs 1 / ranks.
  const float loss = float(group.combine_gradients(optimizer.tensors(), local_loss, 1.0 / group.ranks()));
  rnnc::clip_gradient_norm(optimizer.tensors(), clip_norm);  // the gradients are global now: so is the norm
  optimizer.step();
  model.parameters_changed();
  return loss;
}

}  // namespace char_rnn
