// Text as tokens for a character-level language model: the vocabulary
// (one token per distinct byte) and the batches of truncated BPTT.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace char_rnn {

class Vocabulary {
 public:
  // The distinct bytes of `text`, sorted.
  static Vocabulary of_text(std::string_view text);
  explicit Vocabulary(std::string symbols) : symbols_(std::move(symbols)) {}

  const std::string& symbols() const { return symbols_; }
  std::int64_t size() const { return std::int64_t(symbols_.size()); }
  // Bytes outside the vocabulary are left out and counted in `skipped`.
  std::vector<std::int32_t> encode(std::string_view text, std::int64_t& skipped) const;
  char decode(std::int32_t token) const { return symbols_[std::size_t(token)]; }

 private:
  std::string symbols_;
};

// A token sequence cut into `batch` contiguous streams read side by side,
// `steps` tokens at a time, so that each chunk continues the previous one
// and a model's final state can be carried into the next chunk.
class StreamBatcher {
 public:
  // Throws rnnc::RuntimeError when the text is too short for one chunk.
  StreamBatcher(const std::vector<std::int32_t>& tokens, std::int64_t batch, std::int64_t steps);
  // Reads only the streams [first_stream, first_stream + streams) of the
  // `batch`: one rank's part of a global batch in data-parallel training.
  StreamBatcher(const std::vector<std::int32_t>& tokens, std::int64_t batch, std::int64_t steps,
                std::int64_t first_stream, std::int64_t streams);

  std::int64_t chunks_per_pass() const { return chunks_; }
  std::int64_t steps() const { return steps_; }
  std::int64_t streams() const { return streams_; }
  // Chunk `index` (mod chunks_per_pass()) of the streams read: inputs and
  // next-token targets, [steps][streams], time-major.
  void chunk(std::int64_t index, std::vector<std::int32_t>& inputs, std::vector<std::int32_t>& targets) const;

 private:
  const std::vector<std::int32_t>& tokens_;
  std::int64_t steps_, first_stream_, streams_, stream_length_, chunks_;
};

}  // namespace char_rnn
