// Checkpoints round-trip bit for bit; every damaged file is refused with
// its own one-line reason; a save that fails or dies at any point leaves
// the previous checkpoint as it was.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <bit>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>

#include "atomic_file.h"
#include "rnnc/checkpoint.h"
#include "support/temporary_directory.h"

namespace {

using rnnc::testing::TemporaryDirectory;

rnnc::Checkpoint small_checkpoint() {
  rnnc::Checkpoint checkpoint;
  checkpoint.cell_name = "lstm";
  checkpoint.cell_hash = rnnc::hash_cell_text("cell lstm<I, H> { ... }");
  checkpoint.dimensions = {{"I", 3}, {"H", 2}};
  checkpoint.metadata = {{"step", "1200"}, {"vocabulary", std::string("a\nb\0c", 5)}};
  checkpoint.tensors = {{"W",
                         {1.5f, -0.0f, std::bit_cast<float>(0x7fc12345u), std::bit_cast<float>(0xffa00001u),
                          std::numeric_limits<float>::infinity(), std::bit_cast<float>(0x00000001u)}},
                        {"empty", {}},
                        {"b", {0.25f, -3.0f, std::numeric_limits<float>::max()}}};
  return checkpoint;
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// As a new file: truncating one in place makes ext4 flush it on close, which
// costs milliseconds per damaged file.
void write_bytes(const std::string& path, std::string_view bytes) {
  std::filesystem::remove(path);
  std::ofstream(path, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
}

// The message load_checkpoint() refuses `path` with.
std::string refusal(const std::string& path) {
  try {
    rnnc::load_checkpoint(path);
  } catch (const rnnc::CheckpointError& error) {
    return error.what();
  }
  return "(loaded)";
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  // memcmp must not get the null data() of an empty vector.
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}

bool same_checkpoint(const rnnc::Checkpoint& a, const rnnc::Checkpoint& b) {
  if (a.cell_name != b.cell_name || a.cell_hash != b.cell_hash || a.dimensions != b.dimensions ||
      a.metadata != b.metadata || a.tensors.size() != b.tensors.size())
    return false;
  for (std::size_t i = 0; i < a.tensors.size(); ++i)
    if (a.tensors[i].name != b.tensors[i].name || !same_bits(a.tensors[i].data, b.tensors[i].data)) return false;
  return true;
}

// The format's little-endian u64 at `offset`, rewritten.
void put_u64(std::string& bytes, std::size_t offset, std::uint64_t value) {
  for (int i = 0; i < 8; ++i) bytes[offset + i] = char(value >> (8 * i));
}

// Recomputes the trailing FNV-1a 64 checksum (written here from its
// definition) so that a deliberately malformed header passes it.
void reseal(std::string& bytes) {
  std::uint64_t hash = 0xcbf29ce484222325u;
  for (std::size_t i = 0; i + 8 < bytes.size(); ++i) hash = (hash ^ std::uint8_t(bytes[i])) * 0x100000001b3u;
  put_u64(bytes, bytes.size() - 8, hash);
}

using SaveSteps = std::vector<std::pair<rnnc::AtomicWriteStep, std::size_t>>;

// Every step a save of `checkpoint` makes, in order, recorded on a scratch file.
SaveSteps steps_of_saving(const rnnc::Checkpoint& checkpoint, const TemporaryDirectory& directory) {
  SaveSteps steps;
  rnnc::set_atomic_write_fault_hook(
      [&](rnnc::AtomicWriteStep step, std::size_t bytes) { steps.emplace_back(step, bytes); });
  rnnc::save_checkpoint(directory.file("probe.ckpt"), checkpoint);
  rnnc::set_atomic_write_fault_hook({});
  std::filesystem::remove(directory.file("probe.ckpt"));
  return steps;
}

}  // namespace

TEST_CASE("checkpoint: a round trip is bit-exact, NaN payloads and -0 included", "[checkpoint]") {
  TemporaryDirectory directory;
  const std::string path = directory.file("model.ckpt");
  rnnc::save_checkpoint(path, small_checkpoint());
  rnnc::Checkpoint loaded = rnnc::load_checkpoint(path);
  CHECK(same_checkpoint(loaded, small_checkpoint()));
  CHECK(std::bit_cast<std::uint32_t>(loaded.tensors[0].data[1]) == 0x80000000u);
  CHECK(directory.entries() == std::vector<std::string>{"model.ckpt"});

  // Saving again replaces the file.
  rnnc::Checkpoint changed = small_checkpoint();
  changed.tensors[2].data = {7.0f};
  rnnc::save_checkpoint(path, changed);
  CHECK(same_checkpoint(rnnc::load_checkpoint(path), changed));
}

TEST_CASE("checkpoint: hash_cell_text is FNV-1a 64", "[checkpoint]") {
  CHECK(rnnc::hash_cell_text("") == 0xcbf29ce484222325u);  // the published test vectors
  CHECK(rnnc::hash_cell_text("a") == 0xaf63dc4c8601ec8cu);
  CHECK(rnnc::hash_cell_text("foobar") == 0x85944171f73967e8u);
}

TEST_CASE("checkpoint: a file truncated at any length is refused as truncated", "[checkpoint]") {
  TemporaryDirectory directory;
  const std::string good = directory.file("good.ckpt"), cut = directory.file("cut.ckpt");
  rnnc::save_checkpoint(good, small_checkpoint());
  const std::string bytes = read_bytes(good);
  for (std::size_t length = 0; length < bytes.size(); ++length) {
    write_bytes(cut, bytes.substr(0, length));
    INFO("length " << length);
    CHECK(refusal(cut) == cut + ": truncated at byte " + std::to_string(length));
  }
}

TEST_CASE("checkpoint: every single flipped bit is refused with the reason for where it is", "[checkpoint]") {
  TemporaryDirectory directory;
  const std::string good = directory.file("good.ckpt"), bad = directory.file("bad.ckpt");
  rnnc::save_checkpoint(good, small_checkpoint());
  const std::string bytes = read_bytes(good);
  for (std::size_t byte = 0; byte < bytes.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string flipped = bytes;
      flipped[byte] = char(flipped[byte] ^ (1 << bit));
      write_bytes(bad, flipped);
      std::string message = refusal(bad);
      INFO("byte " << byte << " bit " << bit << ": " << message);
      REQUIRE(message.find('\n') == std::string::npos);
      REQUIRE(message.starts_with(bad + ": "));
      if (byte < 8) {  // the magic
        CHECK(message == bad + ": not an rnnc checkpoint");
      } else if (byte < 12) {  // the version
        CHECK_THAT(message, Catch::Contains(", this rnnc reads version 1"));
      } else if (byte < 20) {  // the file size
        CHECK_THAT(message, Catch::Contains("truncated at byte") || Catch::Contains("the file is corrupted"));
      } else {
        CHECK(message == bad + ": checksum mismatch: the file is corrupted");
      }
    }
  }
}

TEST_CASE("checkpoint: another format version, another kind of file, a missing file", "[checkpoint]") {
  TemporaryDirectory directory;
  const std::string path = directory.file("model.ckpt");
  rnnc::save_checkpoint(path, small_checkpoint());
  std::string bytes = read_bytes(path);
  bytes[8] = 7;  // the version, little-endian
  write_bytes(path, bytes);
  CHECK(refusal(path) == path + ": checkpoint format version 7, this rnnc reads version 1");

  write_bytes(path, "step,train_loss,val_loss\n1,2.5,\n");
  CHECK(refusal(path) == path + ": not an rnnc checkpoint");

  const std::string missing = directory.file("missing.ckpt");
  CHECK(refusal(missing) == missing + ": cannot open: No such file or directory");
}

TEST_CASE("checkpoint: a malformed header with a valid checksum cannot make the loader allocate", "[checkpoint]") {
  TemporaryDirectory directory;
  const std::string path = directory.file("model.ckpt");
  rnnc::Checkpoint one_tensor;
  one_tensor.cell_name = "c";
  one_tensor.tensors = {{"w", {1.0f, 2.0f}}};
  rnnc::save_checkpoint(path, one_tensor);
  const std::string bytes = read_bytes(path);
  // magic 8, version 4, size 8 | name length 8, "c" | hash 8 | 0 dimensions 8 | 0 metadata 8 |
  // 1 tensor 8 | name length 8, "w" | float count 8 ...
  const std::size_t name_length = 20, float_count = 20 + 9 + 8 + 8 + 8 + 8 + 9;
  REQUIRE(bytes.size() == float_count + 8 + 2 * 4 + 8);

  std::string huge_name = bytes;
  put_u64(huge_name, name_length, std::uint64_t(1) << 62);
  reseal(huge_name);
  write_bytes(path, huge_name);
  CHECK(refusal(path) == path + ": malformed checkpoint: a string at byte 28 runs past the data");

  std::string huge_tensor = bytes;
  put_u64(huge_tensor, float_count, std::uint64_t(1) << 61);
  reseal(huge_tensor);
  write_bytes(path, huge_tensor);
  CHECK(refusal(path) == path + ": malformed checkpoint: tensor data at byte 78 runs past the data");
}

TEST_CASE("checkpoint: require_compatible names what differs", "[checkpoint]") {
  const rnnc::Checkpoint expected = small_checkpoint();
  auto reason = [&](const rnnc::Checkpoint& loaded) -> std::string {
    try {
      rnnc::require_compatible(loaded, expected);
    } catch (const rnnc::CheckpointError& error) {
      return error.what();
    }
    return "(compatible)";
  };
  rnnc::Checkpoint same = small_checkpoint();
  std::swap(same.tensors[0], same.tensors[2]);  // order does not matter
  std::swap(same.dimensions[0], same.dimensions[1]);
  same.cell_name = "renamed";  // nor do the name, metadata and contents
  same.metadata.clear();
  same.tensors[0].data.assign(same.tensors[0].data.size(), 0.0f);
  CHECK(reason(same) == "(compatible)");

  rnnc::Checkpoint other_cell = small_checkpoint();
  other_cell.cell_name = "gru";
  other_cell.cell_hash = rnnc::hash_cell_text("cell gru");
  CHECK_THAT(reason(other_cell), Catch::StartsWith("checkpoint is for another cell: 'gru' with hash "));

  rnnc::Checkpoint other_dimension = small_checkpoint();
  other_dimension.dimensions[1].second = 4;
  CHECK(reason(other_dimension) == "checkpoint dimension 'H' is 4, expected 2");
  other_dimension.dimensions.pop_back();
  CHECK(reason(other_dimension) == "checkpoint lacks dimension 'H'");
  other_dimension.dimensions.emplace_back("H", 2);
  other_dimension.dimensions.emplace_back("K", 2);
  CHECK(reason(other_dimension) == "checkpoint has an unexpected dimension 'K'");

  rnnc::Checkpoint other_tensor = small_checkpoint();
  other_tensor.tensors[2].data.push_back(1.0f);
  CHECK(reason(other_tensor) == "checkpoint tensor 'b' has size 4, expected 3");
  other_tensor.tensors[2].name = "bias";
  CHECK(reason(other_tensor) == "checkpoint lacks tensor 'b'");
  other_tensor.tensors[2] = small_checkpoint().tensors[2];
  other_tensor.tensors.push_back({"extra", {}});
  CHECK(reason(other_tensor) == "checkpoint has an unexpected tensor 'extra'");
}

TEST_CASE("checkpoint: a save that fails at any step leaves the previous checkpoint and no temporary file",
          "[checkpoint]") {
  TemporaryDirectory directory;
  const std::string path = directory.file("model.ckpt");
  const rnnc::Checkpoint old_checkpoint = small_checkpoint();
  rnnc::save_checkpoint(path, old_checkpoint);
  // Large enough to be written in several chunks.
  rnnc::Checkpoint new_checkpoint = small_checkpoint();
  new_checkpoint.tensors.push_back({"big", std::vector<float>(3 * rnnc::atomic_write_chunk_bytes / 4, 0.5f)});

  const SaveSteps steps = steps_of_saving(new_checkpoint, directory);
  using Step = rnnc::AtomicWriteStep;
  REQUIRE(steps.size() == 9);  // open, 4 chunks, sync, close, rename, sync the directory
  CHECK(steps[4] == std::pair{Step::write, 3 * rnnc::atomic_write_chunk_bytes});

  for (std::size_t failing = 0; failing < steps.size(); ++failing) {
    INFO("failing at step " << failing);
    std::size_t count = 0;
    rnnc::set_atomic_write_fault_hook([&](rnnc::AtomicWriteStep, std::size_t) {
      if (count++ == failing) throw rnnc::RuntimeError("injected failure");
    });
    CHECK_THROWS_AS(rnnc::save_checkpoint(path, new_checkpoint), rnnc::CheckpointError);
    rnnc::set_atomic_write_fault_hook({});
    CHECK(directory.entries() == std::vector<std::string>{"model.ckpt"});
    // Syncing the directory comes after the rename: the new file is complete then.
    bool renamed = steps[failing].first == Step::sync_directory;
    CHECK(same_checkpoint(rnnc::load_checkpoint(path), renamed ? new_checkpoint : old_checkpoint));
    rnnc::save_checkpoint(path, old_checkpoint);
  }
}

TEST_CASE("checkpoint: a process killed at any step of a save leaves the previous checkpoint", "[checkpoint]") {
  TemporaryDirectory directory;
  const std::string path = directory.file("model.ckpt");
  const rnnc::Checkpoint old_checkpoint = small_checkpoint();
  rnnc::Checkpoint new_checkpoint = small_checkpoint();
  new_checkpoint.tensors.push_back({"big", std::vector<float>(rnnc::atomic_write_chunk_bytes / 2, 0.5f)});
  const SaveSteps steps = steps_of_saving(new_checkpoint, directory);
  REQUIRE(steps.size() == 8);  // open, 3 chunks, sync, close, rename, sync the directory
  for (std::size_t dying = 0; dying < steps.size(); ++dying) {
    INFO("dying at step " << dying);
    rnnc::save_checkpoint(path, old_checkpoint);
    pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      std::size_t count = 0;
      rnnc::set_atomic_write_fault_hook([&](rnnc::AtomicWriteStep, std::size_t) {
        if (count++ == dying) _exit(0);  // no unwinding, no clean-up: as if killed
      });
      try {
        rnnc::save_checkpoint(path, new_checkpoint);
      } catch (...) {
      }
      _exit(1);  // the save outlived its step
    }
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    // After the rename the new checkpoint is complete; before it, the old one is untouched.
    bool renamed = steps[dying].first == rnnc::AtomicWriteStep::sync_directory;
    CHECK(same_checkpoint(rnnc::load_checkpoint(path), renamed ? new_checkpoint : old_checkpoint));
    // A dead process leaves its temporary file behind; it does not disturb later saves.
    for (const std::string& name : directory.entries())
      if (name != "model.ckpt") std::filesystem::remove(directory.path() / name);
  }
  rnnc::save_checkpoint(path, new_checkpoint);
  CHECK(same_checkpoint(rnnc::load_checkpoint(path), new_checkpoint));
}

TEST_CASE("checkpoint: a path that cannot be written is refused with a reason", "[checkpoint]") {
  TemporaryDirectory directory;
  const std::string in_missing_directory = directory.file("no/such/dir/model.ckpt");
  CHECK_THROWS_WITH(rnnc::save_checkpoint(in_missing_directory, small_checkpoint()),
                    in_missing_directory + ": cannot create a temporary file: No such file or directory");

  const std::string file = directory.file("file");
  write_bytes(file, "x");
  CHECK_THROWS_AS(rnnc::save_checkpoint(file + "/model.ckpt", small_checkpoint()), rnnc::CheckpointError);

  // Renaming a file over a directory fails after the temporary is written.
  std::filesystem::create_directory(directory.path() / "taken");
  CHECK_THROWS_WITH(rnnc::save_checkpoint(directory.file("taken"), small_checkpoint()),
                    Catch::Contains("taken: cannot replace: Is a directory"));
  CHECK(directory.entries() == std::vector<std::string>{"file", "taken"});

  if (geteuid() != 0) {  // root writes anywhere
    std::filesystem::create_directory(directory.path() / "read-only");
    std::filesystem::permissions(directory.path() / "read-only",
                                 std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
    CHECK_THROWS_WITH(rnnc::save_checkpoint(directory.file("read-only/model.ckpt"), small_checkpoint()),
                      Catch::Contains("Permission denied"));
    std::filesystem::permissions(directory.path() / "read-only", std::filesystem::perms::owner_all);
  }

  rnnc::Checkpoint duplicate = small_checkpoint();
  duplicate.tensors.push_back({"W", {}});
  CHECK_THROWS_WITH(rnnc::save_checkpoint(directory.file("d.ckpt"), duplicate),
                    directory.file("d.ckpt") + ": two tensors are named 'W'");
}
