#include "rnnc/kernel_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <mutex>
#include <random>

#include <fmt/format.h>
#include <xxhash.h>

namespace rnnc {

namespace {

namespace fs = std::filesystem;

// An entry file: this header, the description, the object. Little-endian,
// as every host rnnc compiles for. The checksum covers description and
// object; the key is checked against the file's name.
constexpr char kMagic[8] = {'R', 'N', 'N', 'C', 'K', 'E', 'R', 'N'};
constexpr std::uint32_t kFormatVersion = 1;
constexpr const char* kEntrySuffix = ".rnnc-kernel";
constexpr const char* kTemporaryPrefix = ".tmp-";

struct EntryHeader {
  char magic[8];
  std::uint32_t format_version;
  std::uint32_t description_bytes;
  std::uint64_t key_high, key_low;
  std::uint64_t object_bytes;
  std::uint64_t checksum;
};
static_assert(sizeof(EntryHeader) == 48, "the header is packed as written");

std::uint64_t checksum(std::string_view description, std::string_view object) {
  XXH3_state_t* state = XXH3_createState();
  XXH3_64bits_reset(state);
  XXH3_64bits_update(state, description.data(), description.size());
  XXH3_64bits_update(state, object.data(), object.size());
  std::uint64_t sum = XXH3_64bits_digest(state);
  XXH3_freeState(state);
  return sum;
}

void warn(const std::string& message) { std::cerr << "rnnc: warning: kernel cache: " << message << "\n"; }

// Why `directory` may not hold code this process loads, or empty.
std::string unsafe_reason(const std::string& directory) {
  struct stat status {};
  if (::stat(directory.c_str(), &status) != 0) {
    return fmt::format("cannot read {}: {}", directory, std::strerror(errno));
  }
  if (!S_ISDIR(status.st_mode)) return fmt::format("{} is not a directory", directory);
  if (status.st_uid != ::geteuid()) return fmt::format("{} belongs to another user (uid {})", directory, status.st_uid);
  if (status.st_mode & (S_IWGRP | S_IWOTH)) {
    return fmt::format("{} is writable by others (mode {:o})", directory, status.st_mode & 07777);
  }
  return {};
}

// Reads a whole file; nullopt when it cannot be opened (a miss).
std::optional<std::string> read_file(const fs::path& path) {
  std::ifstream stream(path, std::ios::binary);
  if (!stream) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(stream), std::istreambuf_iterator<char>());
}

// Why `contents` is not a valid entry for `key`, or empty; `description`
// and `object` are its parts when it is.
std::string check_entry(const std::string& contents, const CacheKey& key, std::string_view& description,
                        std::string_view& object) {
  EntryHeader header{};
  if (contents.size() < sizeof header) return "truncated header";
  std::memcpy(&header, contents.data(), sizeof header);
  if (std::memcmp(header.magic, kMagic, sizeof kMagic) != 0) return "not an rnnc kernel entry";
  if (header.format_version != kFormatVersion) {
    return fmt::format("format version {} (this rnnc writes {})", header.format_version, kFormatVersion);
  }
  if (header.key_high != key.high || header.key_low != key.low) return "key does not match its name";
  if (contents.size() != sizeof header + header.description_bytes + header.object_bytes) {
    return fmt::format("{} bytes, the header says {}", contents.size(),
                       sizeof header + header.description_bytes + header.object_bytes);
  }
  description = std::string_view(contents).substr(sizeof header, header.description_bytes);
  object = std::string_view(contents).substr(sizeof header + header.description_bytes);
  if (checksum(description, object) != header.checksum) return "checksum mismatch";
  return {};
}

// Writes all of `data` to `fd`; false on an error.
bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t written = ::write(fd, data.data(), data.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return false;
    data.remove_prefix(std::size_t(written));
  }
  return true;
}

std::uint64_t max_bytes_from_environment() {
  const char* text = std::getenv("RNNC_CACHE_MAX_MB");
  if (!text || !*text) return KernelCache::kDefaultMaxBytes;
  char* end = nullptr;
  unsigned long long megabytes = std::strtoull(text, &end, 10);
  if (*end != '\0' || megabytes == 0) {
    warn(fmt::format("RNNC_CACHE_MAX_MB={} is not a positive number of megabytes; using {}", text,
                     KernelCache::kDefaultMaxBytes >> 20));
    return KernelCache::kDefaultMaxBytes;
  }
  return std::uint64_t(megabytes) << 20;
}

}  // namespace

std::string CacheKey::hex() const { return fmt::format("{:016x}{:016x}", high, low); }

CacheKey cache_key(const std::vector<std::string_view>& parts) {
  XXH3_state_t* state = XXH3_createState();
  XXH3_128bits_reset(state);
  for (std::string_view part : parts) {
    std::uint64_t length = part.size();
    XXH3_128bits_update(state, &length, sizeof length);
    XXH3_128bits_update(state, part.data(), part.size());
  }
  XXH128_hash_t hash = XXH3_128bits_digest(state);
  XXH3_freeState(state);
  return {hash.high64, hash.low64};
}

std::string KernelCache::default_directory() {
  if (const char* directory = std::getenv("RNNC_CACHE_DIR"); directory && *directory) return directory;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return (fs::path(xdg) / "rnnc").string();
  if (const char* home = std::getenv("HOME"); home && *home) return (fs::path(home) / ".cache" / "rnnc").string();
  return {};
}

bool KernelCache::turned_off() {
  const char* setting = std::getenv("RNNC_CACHE");
  return setting && (std::string_view(setting) == "off" || std::string_view(setting) == "0");
}

std::shared_ptr<const KernelCache> KernelCache::from_environment() {
  static std::once_flag once;
  static std::shared_ptr<const KernelCache> cache;
  std::call_once(once, [] {
    if (turned_off()) return;
    std::string directory = default_directory();
    if (directory.empty()) {
      warn("no directory (set RNNC_CACHE_DIR, XDG_CACHE_HOME or HOME); compiling without a cache");
      return;
    }
    Expected<std::shared_ptr<const KernelCache>, CacheError> opened = open(directory, max_bytes_from_environment());
    if (opened) {
      cache = *opened;
    } else {
      warn(opened.error().message + "; compiling without a cache");
    }
  });
  return cache;
}

Expected<std::shared_ptr<const KernelCache>, CacheError> KernelCache::open(const std::string& directory,
                                                                           std::uint64_t max_bytes) {
  std::error_code error;
  fs::path path(directory);
  if (path.has_parent_path()) fs::create_directories(path.parent_path(), error);
  if (::mkdir(directory.c_str(), 0700) != 0 && errno != EEXIST) {
    return CacheError{fmt::format("cannot create {}: {}", directory, std::strerror(errno))};
  }
  std::string reason = unsafe_reason(directory);
  if (!reason.empty()) return CacheError{reason};
  return std::shared_ptr<const KernelCache>(new KernelCache(directory, max_bytes));
}

KernelCache::KernelCache(std::string directory, std::uint64_t max_bytes)
    : directory_(std::move(directory)), max_bytes_(max_bytes) {}

fs::path KernelCache::entry_path(const std::string& key) const { return fs::path(directory_) / (key + kEntrySuffix); }

std::optional<std::string> KernelCache::load(const CacheKey& key) const {
  fs::path path = entry_path(key.hex());
  std::optional<std::string> contents = read_file(path);
  if (!contents) return std::nullopt;
  std::string_view description, object;
  std::string problem = check_entry(*contents, key, description, object);
  std::error_code error;
  if (!problem.empty()) {
    warn(fmt::format("ignoring {} ({}); compiling again", path.string(), problem));
    fs::remove(path, error);
    return std::nullopt;
  }
  fs::last_write_time(path, fs::file_time_type::clock::now(), error);  // the last use, for eviction
  return std::string(object);
}

void KernelCache::store(const CacheKey& key, std::string_view description, std::string_view object) const {
  static std::atomic<bool> warned{false};  // one warning per process, not one per kernel
  auto fail = [&](const std::string& why) {
    if (!warned.exchange(true)) warn(fmt::format("cannot store in {}: {}; compiling without caching", directory_, why));
  };
  EntryHeader header{};
  std::memcpy(header.magic, kMagic, sizeof kMagic);
  header.format_version = kFormatVersion;
  header.description_bytes = std::uint32_t(description.size());
  header.key_high = key.high;
  header.key_low = key.low;
  header.object_bytes = object.size();
  header.checksum = checksum(description, object);
  // A name of its own per writer, renamed over the entry when complete.
  static std::atomic<unsigned> counter{0};
  fs::path temporary =
      fs::path(directory_) / fmt::format("{}{}-{}-{}", kTemporaryPrefix, ::getpid(), counter++, std::random_device{}());
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return fail(std::strerror(errno));
  bool written = write_all(fd, std::string_view(reinterpret_cast<const char*>(&header), sizeof header)) &&
                 write_all(fd, description) && write_all(fd, object);
  std::string why = written ? "" : std::strerror(errno);
  if (::close(fd) != 0 && written) {
    written = false;
    why = std::strerror(errno);
  }
  std::error_code error;
  if (written) fs::rename(temporary, entry_path(key.hex()), error);
  if (!written || error) {
    fs::remove(temporary, error);
    return fail(written ? error.message() : why);
  }
  evict();
}

std::vector<CacheEntry> KernelCache::scan() const {
  std::vector<CacheEntry> entries;
  std::error_code error;
  for (const fs::directory_entry& file : fs::directory_iterator(directory_, error)) {
    std::string name = file.path().filename().string();
    if (!name.ends_with(kEntrySuffix)) continue;
    CacheEntry entry;
    entry.key = name.substr(0, name.size() - std::strlen(kEntrySuffix));
    entry.bytes = file.file_size(error);
    entry.last_use = file.last_write_time(error);
    entries.push_back(std::move(entry));
  }
  std::sort(entries.begin(), entries.end(),
            [](const CacheEntry& a, const CacheEntry& b) { return a.last_use > b.last_use; });
  return entries;
}

std::vector<CacheEntry> KernelCache::list() const {
  std::vector<CacheEntry> entries = scan();
  for (CacheEntry& entry : entries) {
    std::ifstream stream(entry_path(entry.key), std::ios::binary);
    EntryHeader header{};
    if (stream.read(reinterpret_cast<char*>(&header), sizeof header) && header.description_bytes < (1u << 16)) {
      entry.description.resize(header.description_bytes);
      stream.read(entry.description.data(), std::streamsize(entry.description.size()));
    }
  }
  return entries;
}

void KernelCache::clear() const {
  std::error_code error;
  for (const CacheEntry& entry : scan()) fs::remove(entry_path(entry.key), error);
  // Temporary files of writers that died before renaming them.
  for (const fs::directory_entry& file : fs::directory_iterator(directory_, error)) {
    if (file.path().filename().string().starts_with(kTemporaryPrefix)) fs::remove(file.path(), error);
  }
}

void KernelCache::evict() const {
  std::vector<CacheEntry> entries = scan();  // sizes and times only: no entry is read
  std::uint64_t total = 0;
  for (const CacheEntry& entry : entries) total += entry.bytes;
  std::error_code error;
  // Least recently used last in the list: removed first. Another process
  // may have removed one already; that is no error.
  while (total > max_bytes_ && !entries.empty()) {
    fs::remove(entry_path(entries.back().key), error);
    total -= entries.back().bytes;
    entries.pop_back();
  }
}

}  // namespace rnnc
