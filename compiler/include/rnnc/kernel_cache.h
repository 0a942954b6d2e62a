// The persistent cache of compiled kernels: object files on disk, each under
// a hash of everything that decides its machine code, so that a second
// process gets a cell's kernels without compiling them. Loading an object
// is running code, so the directory must be the user's own and writable by
// no one else. No fault of the cache fails the caller's work: a damaged
// entry is a miss (and is replaced), a directory that cannot be written
// means compiling without caching; each says so in one warning line.
// No LLVM header is included here.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rnnc/expected.h"

namespace rnnc {

// XXH3-128 of the parts that decide an object's code.
struct CacheKey {
  std::uint64_t high = 0, low = 0;
  std::string hex() const;  // 32 hexadecimal digits
  bool operator==(const CacheKey&) const = default;
};

// The key of `parts`, each hashed with its length, so that ("ab", "c") and
// ("a", "bc") differ.
CacheKey cache_key(const std::vector<std::string_view>& parts);

// Why a cache directory cannot be used.
struct CacheError {
  std::string message;
};

// One entry, as `rnnc cache list` shows it.
struct CacheEntry {
  std::string key;          // hexadecimal
  std::string description;  // what the compiler wrote: cell, dimensions, target
  std::uint64_t bytes = 0;  // of the file
  std::filesystem::file_time_type last_use;
};

class KernelCache {
 public:
  static constexpr std::uint64_t kDefaultMaxBytes = std::uint64_t(512) << 20;

  // $RNNC_CACHE_DIR, else $XDG_CACHE_HOME/rnnc, else $HOME/.cache/rnnc; empty
  // when none is set.
  static std::string default_directory();
  // RNNC_CACHE=off (or 0).
  static bool turned_off();
  // The cache the environment asks for, opened once per process and
  // shared: none when RNNC_CACHE=off, or (with one warning) when the
  // directory cannot be made or is not safe. The size cap is
  // $RNNC_CACHE_MAX_MB megabytes, else kDefaultMaxBytes.
  static std::shared_ptr<const KernelCache> from_environment();
  // Opens `directory`, creating it (and its parents) with mode 0700;
  // refused when it is not a directory, belongs to another user, or is
  // group- or world-writable.
  static Expected<std::shared_ptr<const KernelCache>, CacheError> open(const std::string& directory,
                                                                       std::uint64_t max_bytes);

  // The object stored under `key`, or nullopt. A truncated, corrupted,
  // foreign-version or mismatching entry is removed, with a warning.
  // A hit marks the entry used now.
  std::optional<std::string> load(const CacheKey& key) const;
  // Stores `object` under `key`, atomically (readers see the whole entry
  // or none), then evicts the least recently used entries above the cap.
  // A failure to write warns and is otherwise ignored.
  void store(const CacheKey& key, std::string_view description, std::string_view object) const;

  std::vector<CacheEntry> list() const;  // most recently used first
  void clear() const;                    // removes every entry, and writers' leftovers
  const std::string& directory() const { return directory_; }

 private:
  KernelCache(std::string directory, std::uint64_t max_bytes);
  std::filesystem::path entry_path(const std::string& key) const;  // the file of the key in hexadecimal
  std::vector<CacheEntry> scan() const;  // list() without the descriptions, which it reads from each file
  void evict() const;

  std::string directory_;
  std::uint64_t max_bytes_;
};

}  // namespace rnnc
