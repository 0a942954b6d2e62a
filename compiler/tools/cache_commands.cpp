// rnnc cache path|list|clear: the kernel cache (rnnc/kernel_cache.h).
#include <chrono>
#include <iostream>
#include <memory>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "cli_support.h"
#include "rnnc/kernel_cache.h"

namespace rnnc::cli {

namespace {

// The directory the environment names, whether or not RNNC_CACHE=off.
std::string cache_directory() {
  std::string directory = KernelCache::default_directory();
  if (directory.empty()) throw UsageError{"no cache directory: set RNNC_CACHE_DIR, XDG_CACHE_HOME or HOME"};
  return directory;
}

std::shared_ptr<const KernelCache> open_cache() {
  auto cache = KernelCache::open(cache_directory(), KernelCache::kDefaultMaxBytes);
  if (!cache) throw UsageError{"cannot use the kernel cache: " + cache.error().message};
  return *cache;
}

std::string local_time(std::filesystem::file_time_type time) {
  auto system = std::chrono::file_clock::to_sys(time);
  return fmt::format("{:%Y-%m-%d %H:%M:%S}", fmt::localtime(std::chrono::system_clock::to_time_t(system)));
}

}  // namespace

Command add_cache_command(CLI::App& app) {
  auto action = std::make_shared<std::string>();
  CLI::App* command = app.add_subcommand(
      "cache", "The kernel cache: 'path' prints its directory, 'list' its entries (key, size, last use, what they "
               "hold), 'clear' removes them. The directory is $RNNC_CACHE_DIR, else $XDG_CACHE_HOME/rnnc, else "
               "~/.cache/rnnc; RNNC_CACHE=off or --no-cache compiles without it.");
  command->add_option("action", *action, "path, list or clear")
      ->required()
      ->check(CLI::IsMember({"path", "list", "clear"}));
  return {command, [action] {
            if (*action == "path") {
              std::cout << cache_directory() << "\n";
              return 0;
            }
            std::shared_ptr<const KernelCache> cache = open_cache();
            if (*action == "clear") {
              std::size_t count = cache->list().size();
              cache->clear();
              std::cout << fmt::format("removed {} entr{} from {}\n", count, count == 1 ? "y" : "ies",
                                       cache->directory());
              return 0;
            }
            std::uint64_t total = 0;
            for (const CacheEntry& entry : cache->list()) {
              total += entry.bytes;
              std::cout << fmt::format("{}  {:>9}  {}  {}\n", entry.key.substr(0, 12), entry.bytes,
                                       local_time(entry.last_use), entry.description);
            }
            std::cout << fmt::format("{} bytes in {}\n", total, cache->directory());
            return 0;
          }};
}

}  // namespace rnnc::cli
