#include "rnnc/checkpoint.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <set>

#include <fmt/format.h>

#include "atomic_file.h"

namespace rnnc {

namespace {

constexpr std::string_view magic = "RNNCCKPT";
constexpr std::size_t size_field_end = magic.size() + 4 + 8;  // magic, version, file size
constexpr std::size_t checksum_size = 8;

// A change confined to one byte always changes the FNV-1a hash (every
// later step is a bijection of the state), so every single flipped bit is
// caught.
std::uint64_t fnv1a64(std::string_view bytes) {
  std::uint64_t hash = 0xcbf29ce484222325u;
  for (unsigned char byte : bytes) hash = (hash ^ byte) * 0x100000001b3u;
  return hash;
}

class Encoder {
 public:
  void raw(std::string_view bytes) { bytes_ += bytes; }
  void u32(std::uint32_t value) { little_endian(value, 4); }
  void u64(std::uint64_t value) { little_endian(value, 8); }
  void string(std::string_view text) {
    u64(text.size());
    raw(text);
  }
  void floats(const std::vector<float>& values) {
    for (float value : values) u32(std::bit_cast<std::uint32_t>(value));
  }
  std::string& bytes() { return bytes_; }

 private:
  void little_endian(std::uint64_t value, int size) {
    for (int i = 0; i < size; ++i) bytes_.push_back(char((value >> (8 * i)) & 0xff));
  }
  std::string bytes_;
};

// Reads the fields of a checkpoint whose size and checksum have been
// verified; each length is checked against the bytes left before anything
// is allocated, so a malformed header cannot ask for absurd sizes.
class Decoder {
 public:
  Decoder(std::string_view bytes, std::size_t offset, const std::string& path)
      : bytes_(bytes), offset_(offset), path_(path) {}

  std::uint32_t u32() { return std::uint32_t(little_endian(4)); }
  std::uint64_t u64() { return little_endian(8); }
  std::string string() {
    std::uint64_t size = u64();
    require_left(size, "a string");
    std::string text(bytes_.substr(offset_, size));
    offset_ += size;
    return text;
  }
  std::vector<float> floats(std::uint64_t count) {
    if (count > left() / 4) fail_past_end("tensor data");
    std::vector<float> values(count);
    for (float& value : values) value = std::bit_cast<float>(u32());
    return values;
  }
  std::size_t offset() const { return offset_; }
  std::size_t left() const { return bytes_.size() - offset_; }

 private:
  void require_left(std::uint64_t size, const char* what) const {
    if (size > left()) fail_past_end(what);
  }
  [[noreturn]] void fail_past_end(const char* what) const {
    throw CheckpointError(
        fmt::format("{}: malformed checkpoint: {} at byte {} runs past the data", path_, what, offset_));
  }
  std::uint64_t little_endian(int size) {
    require_left(size, "a number");
    std::uint64_t value = 0;
    for (int i = 0; i < size; ++i) value |= std::uint64_t(std::uint8_t(bytes_[offset_ + i])) << (8 * i);
    offset_ += size;
    return value;
  }

  std::string_view bytes_;
  std::size_t offset_;
  const std::string& path_;
};

const std::string* duplicate_tensor_name(const Checkpoint& checkpoint) {
  std::set<std::string_view> names;
  for (const CheckpointTensor& tensor : checkpoint.tensors)
    if (!names.insert(tensor.name).second) return &tensor.name;
  return nullptr;
}

std::string encode(const Checkpoint& checkpoint) {
  Encoder out;
  out.raw(magic);
  out.u32(checkpoint_format_version);
  out.u64(0);  // the file size, filled in below
  out.string(checkpoint.cell_name);
  out.u64(checkpoint.cell_hash);
  out.u64(checkpoint.dimensions.size());
  for (const auto& [name, value] : checkpoint.dimensions) {
    out.string(name);
    out.u64(std::uint64_t(value));
  }
  out.u64(checkpoint.metadata.size());
  for (const auto& [key, value] : checkpoint.metadata) {
    out.string(key);
    out.string(value);
  }
  out.u64(checkpoint.tensors.size());
  for (const CheckpointTensor& tensor : checkpoint.tensors) {
    out.string(tensor.name);
    out.u64(tensor.data.size());
  }
  for (const CheckpointTensor& tensor : checkpoint.tensors) out.floats(tensor.data);

  std::string& bytes = out.bytes();
  Encoder size;
  size.u64(bytes.size() + checksum_size);
  bytes.replace(magic.size() + 4, 8, size.bytes());
  out.u64(fnv1a64(bytes));
  return std::move(bytes);
}

std::string read_whole_file(const std::string& path) {
  int descriptor = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (descriptor < 0) throw CheckpointError(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  std::string bytes;
  char buffer[1 << 16];
  for (;;) {
    ssize_t count = read(descriptor, buffer, sizeof buffer);
    if (count < 0 && errno == EINTR) continue;
    if (count < 0) {
      int error = errno;
      close(descriptor);
      throw CheckpointError(fmt::format("{}: cannot read: {}", path, std::strerror(error)));
    }
    if (count == 0) break;
    bytes.append(buffer, std::size_t(count));
  }
  close(descriptor);
  return bytes;
}

// Magic, version, size and checksum, in that order, so each kind of damage
// gets its own reason.
void verify_envelope(const std::string& path, std::string_view bytes) {
  auto fail = [&](const std::string& reason) { throw CheckpointError(fmt::format("{}: {}", path, reason)); };
  auto truncated = [&] { fail(fmt::format("truncated at byte {}", bytes.size())); };
  if (!magic.starts_with(bytes.substr(0, magic.size()))) fail("not an rnnc checkpoint");
  if (bytes.size() < magic.size() + 4) truncated();
  Decoder in(bytes, magic.size(), path);
  std::uint32_t version = in.u32();
  if (version != checkpoint_format_version)
    fail(fmt::format("checkpoint format version {}, this rnnc reads version {}", version, checkpoint_format_version));
  if (bytes.size() < size_field_end) truncated();
  std::uint64_t declared_size = in.u64();
  if (bytes.size() < declared_size || bytes.size() < size_field_end + checksum_size) truncated();
  if (bytes.size() > declared_size)
    fail(fmt::format("the file has {} bytes but its header says {}: the file is corrupted", bytes.size(),
                     declared_size));
  const std::size_t checksum_offset = bytes.size() - checksum_size;
  if (Decoder(bytes, checksum_offset, path).u64() != fnv1a64(bytes.substr(0, checksum_offset)))
    fail("checksum mismatch: the file is corrupted");
}

Checkpoint decode(const std::string& path, std::string_view bytes) {
  Decoder in(bytes.substr(0, bytes.size() - checksum_size), size_field_end, path);
  Checkpoint checkpoint;
  checkpoint.cell_name = in.string();
  checkpoint.cell_hash = in.u64();
  for (std::uint64_t count = in.u64(), i = 0; i < count; ++i) {
    std::string name = in.string();
    checkpoint.dimensions.emplace_back(std::move(name), std::int64_t(in.u64()));
  }
  for (std::uint64_t count = in.u64(), i = 0; i < count; ++i) {
    std::string key = in.string();
    checkpoint.metadata.emplace_back(std::move(key), in.string());
  }
  std::vector<std::uint64_t> sizes;
  for (std::uint64_t count = in.u64(), i = 0; i < count; ++i) {
    checkpoint.tensors.push_back({in.string(), {}});
    sizes.push_back(in.u64());
  }
  for (std::size_t i = 0; i < sizes.size(); ++i) checkpoint.tensors[i].data = in.floats(sizes[i]);
  if (in.left() != 0)
    throw CheckpointError(
        fmt::format("{}: malformed checkpoint: {} unused bytes at byte {}", path, in.left(), in.offset()));
  if (const std::string* name = duplicate_tensor_name(checkpoint))
    throw CheckpointError(fmt::format("{}: malformed checkpoint: two tensors are named '{}'", path, *name));
  return checkpoint;
}

// Entries (dimensions or tensors) must match by name and size, in any
// order. `size_is` words the size: "is" for a dimension, "has size" for a tensor.
template <class Entry, class NameOf, class SizeOf>
void require_same_entries(const std::vector<Entry>& loaded, const std::vector<Entry>& expected, const char* what,
                          const char* size_is, NameOf name_of, SizeOf size_of) {
  for (const Entry& wanted : expected) {
    auto found = std::find_if(loaded.begin(), loaded.end(),
                              [&](const Entry& entry) { return name_of(entry) == name_of(wanted); });
    if (found == loaded.end()) throw CheckpointError(fmt::format("checkpoint lacks {} '{}'", what, name_of(wanted)));
    if (size_of(*found) != size_of(wanted))
      throw CheckpointError(fmt::format("checkpoint {} '{}' {} {}, expected {}", what, name_of(wanted), size_is,
                                        size_of(*found), size_of(wanted)));
  }
  for (const Entry& entry : loaded) {
    auto is_expected = [&](const Entry& wanted) { return name_of(wanted) == name_of(entry); };
    if (std::none_of(expected.begin(), expected.end(), is_expected))
      throw CheckpointError(fmt::format("checkpoint has an unexpected {} '{}'", what, name_of(entry)));
  }
}

}  // namespace

std::uint64_t hash_cell_text(std::string_view text) { return fnv1a64(text); }

void save_checkpoint(const std::string& path, const Checkpoint& checkpoint) {
  if (const std::string* name = duplicate_tensor_name(checkpoint))
    throw CheckpointError(fmt::format("{}: two tensors are named '{}'", path, *name));
  try {
    write_file_atomically(path, encode(checkpoint));
  } catch (const RuntimeError& error) {
    throw CheckpointError(error.what());
  }
}

Checkpoint load_checkpoint(const std::string& path) {
  std::string bytes = read_whole_file(path);
  verify_envelope(path, bytes);
  return decode(path, bytes);
}

void require_compatible(const Checkpoint& loaded, const Checkpoint& expected) {
  if (loaded.cell_hash != expected.cell_hash)
    throw CheckpointError(
        fmt::format("checkpoint is for another cell: '{}' with hash {:016x}, expected '{}' with {:016x}",
                    loaded.cell_name, loaded.cell_hash, expected.cell_name, expected.cell_hash));
  require_same_entries(
      loaded.dimensions, expected.dimensions, "dimension", "is",
      [](const auto& dimension) -> const std::string& { return dimension.first; },
      [](const auto& dimension) { return dimension.second; });
  require_same_entries(
      loaded.tensors, expected.tensors, "tensor", "has size",
      [](const CheckpointTensor& tensor) -> const std::string& { return tensor.name; },
      [](const CheckpointTensor& tensor) { return tensor.data.size(); });
}

}  // namespace rnnc
