// The tests' main: Catch's, with a kernel cache of the run's own when the
// environment names none (ctest names the suite's: see CMakeLists.txt), so
// that no test reads or writes the user's cache.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <string>

int main(int argc, char** argv) {
  std::string own_cache;
  if (!std::getenv("RNNC_CACHE_DIR")) {
    own_cache = (std::filesystem::temp_directory_path() / "rnnc-test-cache-XXXXXX").string();
    if (!::mkdtemp(own_cache.data())) return 2;
    ::setenv("RNNC_CACHE_DIR", own_cache.c_str(), 1);
  }
  int failed = Catch::Session().run(argc, argv);
  std::error_code error;
  if (!own_cache.empty()) std::filesystem::remove_all(own_cache, error);
  return failed;
}
