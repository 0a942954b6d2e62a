// The persistent kernel cache (rnnc/kernel_cache.h): cached kernels compute
// what freshly compiled ones do, bit for bit; and every fault of the cache's
// files or directory is a miss or a warning, never a failure.
#include <catch2/catch.hpp>

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "rnnc/cell.h"
#include "rnnc/kernel_cache.h"
#include "support/cells.h"
#include "support/temporary_directory.h"

namespace {

namespace fs = std::filesystem;
using rnnc::CacheKey;
using rnnc::KernelCache;
using rnnc::testing::TemporaryDirectory;

constexpr std::uint64_t kLarge = std::uint64_t(1) << 30;

std::shared_ptr<const KernelCache> open_cache(const fs::path& directory, std::uint64_t max_bytes = kLarge) {
  auto cache = KernelCache::open(directory.string(), max_bytes);
  if (!cache) FAIL(cache.error().message);
  return *cache;
}

// Bytes that look like nothing in particular.
std::string object_bytes(std::size_t size, unsigned seed) {
  std::mt19937 random(seed);
  std::string bytes(size, '\0');
  for (char& byte : bytes) byte = char(random());
  return bytes;
}

std::string read_file(const fs::path& path) {
  std::ifstream stream(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(stream), std::istreambuf_iterator<char>());
}

void write_file(const fs::path& path, const std::string& contents) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << contents;
}

fs::path entry_file(const KernelCache& cache, const CacheKey& key) {
  return fs::path(cache.directory()) / (key.hex() + ".rnnc-kernel");
}

// What the code under test writes to std::cerr, one string per line.
class CapturedErrors {
 public:
  CapturedErrors() : saved_(std::cerr.rdbuf(captured_.rdbuf())) {}
  ~CapturedErrors() { std::cerr.rdbuf(saved_); }
  std::vector<std::string> lines() const {
    std::vector<std::string> result;
    std::istringstream text(captured_.str());
    for (std::string line; std::getline(text, line);) result.push_back(line);
    return result;
  }

 private:
  std::ostringstream captured_;
  std::streambuf* saved_;
};

// One cell's results on fixed random data: outputs and final states of
// inference and of training, input, state and parameter adjoints.
std::vector<std::vector<float>> run_cell(rnnc::Cell& cell, std::int64_t steps, std::int64_t batch) {
  const rnnc::Graph& graph = cell.graph();
  std::mt19937 random(7);
  std::uniform_real_distribution<float> uniform(-0.5f, 0.5f);
  auto filled = [&](std::int64_t size) {
    std::vector<float> values(static_cast<std::size_t>(size));
    for (float& value : values) value = uniform(random);
    return values;
  };
  for (std::size_t p = 0; p < graph.params.size(); ++p) {
    std::vector<float> values = filled(std::int64_t(cell.parameter(p).size()));
    std::copy(values.begin(), values.end(), cell.parameter(p).begin());
  }
  std::vector<std::vector<float>> inputs, states, results;
  for (const rnnc::Symbol& input : graph.inputs) inputs.push_back(filled(steps * batch * element_count(input.shape)));
  for (const rnnc::Symbol& state : graph.states) states.push_back(filled(batch * element_count(state.shape)));
  for (bool training : {false, true}) {
    std::vector<std::vector<float>> outputs, finals;
    rnnc::ForwardArgs args{steps, batch, {}, {}, {}, {}};
    for (const auto& input : inputs) args.inputs.emplace_back(input);
    for (const auto& state : states) args.initial_states.emplace_back(state);
    for (const rnnc::Output& output : graph.outputs) {
      outputs.emplace_back(std::size_t(steps * batch * element_count(graph.node(output.node).shape)));
    }
    for (const auto& state : states) finals.emplace_back(state.size());
    for (auto& output : outputs) args.outputs.emplace_back(output);
    for (auto& final_state : finals) args.final_states.emplace_back(final_state);
    if (!training) {
      cell.forward_inference(args);
    } else {
      cell.forward_training(args);
      rnnc::BackwardArgs backward;
      std::vector<std::vector<float>> output_adjoints, input_adjoints, state_adjoints;
      for (const auto& output : outputs) output_adjoints.push_back(filled(std::int64_t(output.size())));
      for (const auto& input : inputs) input_adjoints.emplace_back(input.size());
      for (const auto& state : states) state_adjoints.emplace_back(state.size());
      for (const auto& adjoint : output_adjoints) backward.output_adjoints.emplace_back(adjoint);
      for (auto& adjoint : input_adjoints) backward.input_adjoints.emplace_back(adjoint);
      for (auto& adjoint : state_adjoints) backward.initial_state_adjoints.emplace_back(adjoint);
      cell.backward(backward);
      results.insert(results.end(), input_adjoints.begin(), input_adjoints.end());
      results.insert(results.end(), state_adjoints.begin(), state_adjoints.end());
      for (std::size_t p = 0; p < graph.params.size(); ++p) {
        results.emplace_back(cell.gradient(p).begin(), cell.gradient(p).end());
      }
    }
    results.insert(results.end(), outputs.begin(), outputs.end());
    results.insert(results.end(), finals.begin(), finals.end());
  }
  return results;
}

}  // namespace

TEST_CASE("cached kernels compute bit-identical results to freshly compiled ones", "[cache]") {
  // The suite's own cache (ctest or test_main.cpp sets RNNC_CACHE_DIR).
  std::shared_ptr<const KernelCache> cache = KernelCache::from_environment();
  REQUIRE(cache);
  REQUIRE(std::getenv("RNNC_CACHE_DIR"));
  for (const std::string& path : rnnc::testing::shipped_cells()) {
    CAPTURE(path);
    // Dimensions no other test binds, so that no other test's entries are
    // these: the first cell compiles, the second loads.
    rnnc::DimensionArgs dimensions = rnnc::testing::distinct_dimensions(path, 11);
    auto file = rnnc::read_source_file(path);
    REQUIRE(file);
    std::vector<std::vector<float>> compiled, loaded;
    {
      rnnc::Cell cell(*file, dimensions);
      CHECK_FALSE(cell.compiled().from_cache());
      compiled = run_cell(cell, 3, 2);
    }
    // The same text with other comments and spacing is the same cell.
    rnnc::SourceFile respaced = *file;
    respaced.text = "# respaced\n\n" + respaced.text + "\n\n# end\n";
    rnnc::Cell cell(respaced, dimensions);
    CHECK(cell.compiled().from_cache());
    loaded = run_cell(cell, 3, 2);
    REQUIRE(loaded.size() == compiled.size());
    for (std::size_t i = 0; i < loaded.size(); ++i) {
      CAPTURE(i);
      REQUIRE(loaded[i].size() == compiled[i].size());
      CHECK(std::memcmp(loaded[i].data(), compiled[i].data(), loaded[i].size() * sizeof(float)) == 0);
    }
  }
}

TEST_CASE("the kernel cache stores and loads an object whole", "[cache]") {
  TemporaryDirectory directory;
  auto cache = open_cache(directory.path() / "cache");
  CHECK((fs::status(cache->directory()).permissions() & fs::perms::all) == fs::perms::owner_all);
  CacheKey key = rnnc::cache_key({"some", "parts"});
  CHECK_FALSE(key == rnnc::cache_key({"som", "eparts"}));
  CHECK_FALSE(cache->load(key));
  std::string object = object_bytes(5000, 1);
  cache->store(key, "a description", object);
  std::optional<std::string> loaded = cache->load(key);
  REQUIRE(loaded);
  CHECK(*loaded == object);
  std::vector<rnnc::CacheEntry> entries = cache->list();
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].key == key.hex());
  CHECK(entries[0].description == "a description");
  // No temporary file is left behind.
  CHECK(directory.entries().size() == 1);
  CHECK(std::distance(fs::directory_iterator(cache->directory()), fs::directory_iterator()) == 1);
  // A writer that died before renaming left its temporary file: clear
  // removes it too.
  write_file(fs::path(cache->directory()) / ".tmp-1-0-0", "half an entry");
  cache->clear();
  CHECK(cache->list().empty());
  CHECK(fs::is_empty(cache->directory()));
}

TEST_CASE("a damaged kernel cache entry is a miss with one warning and is removed", "[cache]") {
  TemporaryDirectory directory;
  auto cache = open_cache(directory.path());
  const CacheKey key = rnnc::cache_key({"damaged"});
  const std::string object = object_bytes(3000, 2);
  cache->store(key, "cell", object);
  const std::string whole = read_file(entry_file(*cache, key));
  struct Damage {
    const char* what;
    std::string contents;
  };
  std::vector<Damage> damages;
  for (std::size_t length : {std::size_t(0), std::size_t(7), std::size_t(47), std::size_t(48), std::size_t(52),
                             whole.size() / 2, whole.size() - 1}) {
    damages.push_back({"truncated", whole.substr(0, length)});
  }
  for (std::size_t offset : {std::size_t(0), std::size_t(20), std::size_t(50), whole.size() / 2, whole.size() - 1}) {
    std::string flipped = whole;
    flipped[offset] = char(flipped[offset] ^ 0x10);
    damages.push_back({"a flipped bit", flipped});
  }
  std::string version = whole;
  version[8] = char(version[8] + 1);  // the format version, after the magic
  damages.push_back({"another format version", version});
  damages.push_back({"longer", whole + "x"});
  for (const Damage& damage : damages) {
    CAPTURE(damage.what, damage.contents.size());
    write_file(entry_file(*cache, key), damage.contents);
    CapturedErrors errors;
    CHECK_FALSE(cache->load(key));
    REQUIRE(errors.lines().size() == 1);
    CHECK(errors.lines()[0].find("warning: kernel cache") != std::string::npos);
    CHECK_FALSE(fs::exists(entry_file(*cache, key)));
  }
  // Another key's entry under this key's name.
  const CacheKey other = rnnc::cache_key({"other"});
  cache->store(other, "cell", object);
  fs::rename(entry_file(*cache, other), entry_file(*cache, key));
  CapturedErrors errors;
  CHECK_FALSE(cache->load(key));
  CHECK(errors.lines().size() == 1);
  // Stored again, it loads again.
  cache->store(key, "cell", object);
  CHECK(cache->load(key) == object);
}

TEST_CASE("a kernel cache directory another user could write is refused", "[cache]") {
  TemporaryDirectory directory;
  fs::path shared = directory.path() / "shared";
  fs::create_directory(shared);
  fs::permissions(shared, fs::perms::all);  // 0777
  auto refused = KernelCache::open(shared.string(), kLarge);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message.find("writable by others") != std::string::npos);
  fs::permissions(shared, fs::perms::owner_all | fs::perms::group_write);
  CHECK_FALSE(KernelCache::open(shared.string(), kLarge));
  fs::path file = directory.path() / "file";
  write_file(file, "not a directory");
  CHECK_FALSE(KernelCache::open(file.string(), kLarge));
  if (::geteuid() != 0) {
    WARN("not root: the directory of another user is not tried");
    return;
  }
  fs::path foreign = directory.path() / "foreign";
  fs::create_directory(foreign);
  fs::permissions(foreign, fs::perms::owner_all, fs::perm_options::replace);
  REQUIRE(::chown(foreign.c_str(), 65534, 65534) == 0);
  auto other_user = KernelCache::open(foreign.string(), kLarge);
  REQUIRE_FALSE(other_user);
  CHECK(other_user.error().message.find("another user") != std::string::npos);
}

TEST_CASE("a kernel cache that cannot be written warns once and is otherwise ignored", "[cache]") {
  TemporaryDirectory directory;
  auto cache = open_cache(directory.path() / "cache");
  const std::string object = object_bytes(200000, 3);
  {
    // A full disk: writes past 4 KiB fail (EFBIG; the signal ignored).
    auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
    rlimit saved{};
    ::getrlimit(RLIMIT_FSIZE, &saved);
    rlimit small = saved;
    small.rlim_cur = 4096;
    ::setrlimit(RLIMIT_FSIZE, &small);
    CapturedErrors errors;
    cache->store(rnnc::cache_key({"full 1"}), "cell", object);
    cache->store(rnnc::cache_key({"full 2"}), "cell", object);
    ::setrlimit(RLIMIT_FSIZE, &saved);
    std::signal(SIGXFSZ, old_handler);
    CHECK(errors.lines().size() <= 1);  // one per process: another test may have warned
    CHECK_FALSE(cache->load(rnnc::cache_key({"full 1"})));
    CHECK(directory.entries().size() == 1);
    CHECK(fs::is_empty(cache->directory()));  // no half-written temporary file
  }
  // The directory gone (replaced by a file): nothing can be written.
  fs::remove_all(cache->directory());
  write_file(cache->directory(), "in the way");
  cache->store(rnnc::cache_key({"gone"}), "cell", object);
  CHECK_FALSE(cache->load(rnnc::cache_key({"gone"})));
  CHECK(read_file(cache->directory()) == "in the way");
}

TEST_CASE("two processes storing and loading one kernel cache key both succeed", "[cache]") {
  TemporaryDirectory directory;
  auto cache = open_cache(directory.path());
  const CacheKey key = rnnc::cache_key({"shared key"});
  const std::string object = object_bytes(100000, 4);
  std::vector<pid_t> children;
  for (int child = 0; child < 2; ++child) {
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      // Each stores and loads in turn; every load is a miss or the whole
      // object, never a torn one.
      bool ok = true;
      for (int i = 0; i < 200 && ok; ++i) {
        cache->store(key, "cell", object);
        std::optional<std::string> loaded = cache->load(key);
        ok = !loaded || *loaded == object;
      }
      ::_exit(ok ? 0 : 1);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
  CHECK(cache->load(key) == object);
  CHECK(cache->list().size() == 1);  // and no temporary files
  CHECK(directory.entries().size() == 1);
}

TEST_CASE("a full kernel cache evicts the least recently used entries", "[cache]") {
  TemporaryDirectory directory;
  const std::string object = object_bytes(10000, 5);
  // Room for three entries of this size, not four.
  auto cache = open_cache(directory.path(), 3 * (object.size() + 100));
  std::vector<CacheKey> keys;
  auto now = fs::file_time_type::clock::now();
  for (int i = 0; i < 3; ++i) {
    keys.push_back(rnnc::cache_key({"entry", std::to_string(i)}));
    cache->store(keys.back(), "cell", object);
    // Entry i last used i minutes after entry 0.
    fs::last_write_time(entry_file(*cache, keys.back()), now - std::chrono::minutes(10 - i));
  }
  REQUIRE(cache->list().size() == 3);
  CHECK(cache->load(keys[0]));  // entry 0 is now the most recently used
  keys.push_back(rnnc::cache_key({"entry", "3"}));
  cache->store(keys.back(), "cell", object);
  std::vector<rnnc::CacheEntry> entries = cache->list();
  REQUIRE(entries.size() == 3);
  CHECK(cache->load(keys[0]));
  CHECK_FALSE(cache->load(keys[1]));  // the least recently used
  CHECK(cache->load(keys[2]));
  CHECK(cache->load(keys[3]));
}
