// Several recurrent layers, each reading the outputs of the one below, with
// dropout between layers in training; each layer one- or bidirectional.
// Its states are those of its layers, bottom first. Parameter names are
// PREFIX + "layerK.fwd." (and "layerK.bwd.") + the cell's names.
#pragma once

#include <memory>

#include "rnnc/bidirectional_layer.h"
#include "rnnc/dropout.h"

namespace rnnc {

// A cell to compile once per layer and direction: its text and every
// dimension but the input's, which each layer binds to its own input size.
struct CellSpec {
  SourceFile source;
  DimensionArgs dimensions;  // e.g. {{"H", 128}}
  std::string input_dimension = "I";

  // Throws RuntimeError when the file cannot be read.
  static CellSpec from_file(const std::string& path, DimensionArgs dimensions, std::string input_dimension = "I");
  Cell compile(std::int64_t input_size) const;
};

struct StackOptions {
  std::int64_t layers = 1;
  bool bidirectional = false;
  Merge merge = Merge::concatenate;
  float dropout = 0;       // on the inputs of layers 1.., in training
  std::uint64_t seed = 0;  // of the dropout masks
};

class RecurrentStack final : public SequenceLayer {
 public:
  RecurrentStack(const CellSpec& cell, std::int64_t input_size, const StackOptions& options);

  std::size_t layer_count() const { return layers_.size(); }
  SequenceLayer& layer(std::size_t index) { return *layers_.at(index); }

  std::int64_t input_size() const override { return layers_.front()->input_size(); }
  std::int64_t output_size() const override { return layers_.back()->output_size(); }
  std::vector<std::int64_t> state_sizes() const override;

  std::span<const float> forward(const SequenceArgs& args) override;
  const StateList& final_states() const override { return final_states_; }
  std::span<const float> backward(std::span<const float> output_adjoint,
                                  std::span<const std::vector<float>> final_state_adjoints) override;
  const StateList& initial_state_adjoints() const override { return initial_state_adjoints_; }

  std::vector<TrainableTensor> parameters(const std::string& prefix) override;
  void initialize(WeightInit init, Rng& rng) override;
  void parameters_changed() override;

 private:
  // Where layer k's states start in the stack's state list.
  std::size_t first_state(std::size_t layer) const;

  bool bidirectional_;
  std::vector<std::unique_ptr<SequenceLayer>> layers_;
  std::vector<Dropout> dropouts_;  // dropouts_[k] feeds layers_[k + 1]
  StateList final_states_, initial_state_adjoints_;
};

}  // namespace rnnc
