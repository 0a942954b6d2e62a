// Checks and per-sample lengths shared by the recurrent layers.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "rnnc/sequence_layer.h"

namespace rnnc {

// Throws RuntimeError with a one-line reason unless the input, lengths and
// initial states fit a layer of these sizes.
void check_sequence_args(const SequenceArgs& args, std::int64_t input_size, const std::vector<std::int64_t>& state_sizes);

// Throws unless `adjoint` is empty or has `floats` floats.
void check_optional_adjoint(std::span<const float> adjoint, std::int64_t floats, const char* what);

// Throws unless `adjoints` is empty or holds one [B][len] buffer per state.
void check_state_adjoints(std::span<const std::vector<float>> adjoints, std::int64_t batch,
                          const std::vector<std::int64_t>& state_sizes);

// The length of every sample: args.lengths, or all args.steps.
std::vector<std::int64_t> sample_lengths(const SequenceArgs& args);

}  // namespace rnnc
