#include "model_checkpoint.h"

#include <algorithm>

namespace char_rnn {

namespace {

std::int64_t dimension(const rnnc::Checkpoint& checkpoint, const std::string& name) {
  for (const auto& [key, value] : checkpoint.dimensions) {
    if (key == name) return value;
  }
  throw rnnc::CheckpointError("the checkpoint has no dimension '" + name + "'");
}

const std::string& metadata(const rnnc::Checkpoint& checkpoint, const std::string& name) {
  for (const auto& [key, value] : checkpoint.metadata) {
    if (key == name) return value;
  }
  throw rnnc::CheckpointError("the checkpoint has no '" + name + "' entry");
}

}  // namespace

rnnc::Checkpoint make_checkpoint(const std::string& cell_name, const std::string& cell_text, const ModelShape& shape,
                                 const std::string& vocabulary, std::int64_t step, const NamedTensors& tensors) {
  rnnc::Checkpoint checkpoint{cell_name, rnnc::hash_cell_text(cell_text),
                              {{"V", shape.vocabulary}, {"E", shape.embedding}, {"H", shape.hidden}, {"L", shape.layers}},
                              {{"vocabulary", vocabulary}, {"step", std::to_string(step)}},
                              {}};
  for (const auto& [name, values] : tensors) checkpoint.tensors.push_back({name, {values.begin(), values.end()}});
  return checkpoint;
}

ModelShape shape_of(const rnnc::Checkpoint& checkpoint) {
  return {dimension(checkpoint, "V"), dimension(checkpoint, "E"), dimension(checkpoint, "H"),
          dimension(checkpoint, "L")};
}

std::string vocabulary_of(const rnnc::Checkpoint& checkpoint) { return metadata(checkpoint, "vocabulary"); }

std::int64_t step_of(const rnnc::Checkpoint& checkpoint) { return std::stoll(metadata(checkpoint, "step")); }

void restore(const rnnc::Checkpoint& loaded, const rnnc::Checkpoint& expected, const NamedTensors& tensors) {
  rnnc::require_compatible(loaded, expected);
  for (const auto& [name, values] : tensors) {
    auto tensor = std::ranges::find(loaded.tensors, name, &rnnc::CheckpointTensor::name);
    std::ranges::copy(tensor->data, values.begin());
  }
}

}  // namespace char_rnn
