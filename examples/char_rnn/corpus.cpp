#include "corpus.h"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "rnnc/cell.h"

namespace char_rnn {

Vocabulary Vocabulary::of_text(std::string_view text) {
  std::array<bool, 256> seen{};
  for (char c : text) seen[static_cast<unsigned char>(c)] = true;
  std::string symbols;
  for (int byte = 0; byte < 256; ++byte) {
    if (seen[std::size_t(byte)]) symbols.push_back(static_cast<char>(byte));
  }
  return Vocabulary(symbols);
}

std::vector<std::int32_t> Vocabulary::encode(std::string_view text, std::int64_t& skipped) const {
  std::array<std::int32_t, 256> token;
  token.fill(-1);
  for (std::size_t i = 0; i < symbols_.size(); ++i) token[static_cast<unsigned char>(symbols_[i])] = std::int32_t(i);
  std::vector<std::int32_t> tokens;
  skipped = 0;
  for (char c : text) {
    std::int32_t t = token[static_cast<unsigned char>(c)];
    if (t < 0) {
      ++skipped;
    } else {
      tokens.push_back(t);
    }
  }
  return tokens;
}

StreamBatcher::StreamBatcher(const std::vector<std::int32_t>& tokens, std::int64_t batch, std::int64_t steps)
    : StreamBatcher(tokens, batch, steps, 0, batch) {}

StreamBatcher::StreamBatcher(const std::vector<std::int32_t>& tokens, std::int64_t batch, std::int64_t steps,
                             std::int64_t first_stream, std::int64_t streams)
    : tokens_(tokens), steps_(steps), first_stream_(first_stream), streams_(streams) {
  // Each stream needs one token more than it reads: the last target.
  stream_length_ = (std::int64_t(tokens.size()) - 1) / batch;
  chunks_ = stream_length_ / steps;
  if (chunks_ < 1) {
    throw rnnc::RuntimeError(fmt::format("a text of {} characters is too short for {} streams of {} steps",
                                         tokens.size(), batch, steps));
  }
}

void StreamBatcher::chunk(std::int64_t index, std::vector<std::int32_t>& inputs,
                          std::vector<std::int32_t>& targets) const {
  const std::int64_t start = (index % chunks_) * steps_;
  inputs.resize(std::size_t(steps_ * streams_));
  targets.resize(inputs.size());
  for (std::int64_t t = 0; t < steps_; ++t) {
    for (std::int64_t b = 0; b < streams_; ++b) {
      const std::int64_t position = (first_stream_ + b) * stream_length_ + start + t;
      inputs[std::size_t(t * streams_ + b)] = tokens_[std::size_t(position)];
      targets[std::size_t(t * streams_ + b)] = tokens_[std::size_t(position + 1)];
    }
  }
}

}  // namespace char_rnn
