#include "utterance_set.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

namespace speech {

namespace fs = std::filesystem;

std::optional<std::vector<Utterance>> read_utterance_set(const std::string& folder) {
  const fs::path manifest = fs::path(folder) / "manifest.tsv";
  std::ifstream file(manifest);
  if (!file) return std::nullopt;
  std::vector<Utterance> utterances;
  std::string line;
  for (int number = 1; std::getline(file, line); ++number) {
    std::istringstream fields(line);
    std::string name, voice, text;
    if (!std::getline(fields, name, '\t') || !std::getline(fields, voice, '\t') || !std::getline(fields, text)) {
      throw std::runtime_error(fmt::format("{}:{}: expected file, voice and words separated by tabs",
                                           manifest.string(), number));
    }
    Utterance utterance{(fs::path(folder) / name).string(), voice, {}};
    std::istringstream words(text);
    for (std::string word; words >> word;) utterance.words.push_back(word);
    std::error_code error;
    if (!fs::is_regular_file(utterance.audio_path, error)) return std::nullopt;
    utterances.push_back(std::move(utterance));
  }
  return utterances;
}

void write_manifest(const std::string& folder, const std::vector<Utterance>& utterances) {
  const fs::path manifest = fs::path(folder) / "manifest.tsv", temporary = fs::path(folder) / "manifest.tsv.tmp";
  {
    std::ofstream file(temporary);
    for (const Utterance& utterance : utterances) {
      file << fs::path(utterance.audio_path).filename().string() << '\t' << utterance.voice << '\t';
      for (std::size_t i = 0; i < utterance.words.size(); ++i) file << (i ? " " : "") << utterance.words[i];
      file << '\n';
    }
    if (!file.flush()) throw std::runtime_error(fmt::format("cannot write '{}'", temporary.string()));
  }
  fs::rename(temporary, manifest);
}

}  // namespace speech
