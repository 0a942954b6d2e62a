// Training checkpoints: parameters, optimizer state and what they belong to,
// in a versioned, checksummed binary file that is replaced atomically.
//
// Format version 1, all integers little-endian, floats as IEEE-754 bits:
//   "RNNCCKPT"  u32 version  u64 file size
//   string cell_name  u64 cell_hash
//   u64 count, then per dimension: string name, i64 value
//   u64 count, then per metadata entry: string key, string value
//   u64 count, then per tensor: string name, u64 float count
//   the tensors' floats, in order
//   u64 FNV-1a 64 of every byte before it
// where a string is a u64 byte count and the bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rnnc/cell.h"

namespace rnnc {

struct CheckpointTensor {
  std::string name;
  std::vector<float> data;
};

struct Checkpoint {
  std::string cell_name;        // informational
  std::uint64_t cell_hash = 0;  // hash_cell_text() of the .cell text (or of a model description)
  std::vector<std::pair<std::string, std::int64_t>> dimensions;
  std::vector<std::pair<std::string, std::string>> metadata;  // free-form: step, vocabulary, hyper-parameters
  std::vector<CheckpointTensor> tensors;                      // distinct names
};

class CheckpointError : public RuntimeError {
 public:
  using RuntimeError::RuntimeError;
};

constexpr std::uint32_t checkpoint_format_version = 1;

// FNV-1a 64: stable across platforms and versions.
std::uint64_t hash_cell_text(std::string_view text);

// Throw CheckpointError("PATH: reason"). Saving replaces `path` atomically:
// after a failure or a crash the previous file there is intact. Loading
// checks magic, version, size and checksum before it reads the header.
void save_checkpoint(const std::string& path, const Checkpoint& checkpoint);
Checkpoint load_checkpoint(const std::string& path);

// Throws CheckpointError with a one-line reason when the cell hash, the
// dimensions, or the tensors' names and sizes differ from `expected`'s
// (both matched by name, in any order; the cell name, the metadata and
// the tensors' contents are not compared).
void require_compatible(const Checkpoint& loaded, const Checkpoint& expected);

}  // namespace rnnc
