#include "lexicon.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

namespace speech {

std::int32_t Lexicon::word_index(const std::string& word) const {
  auto found = std::find(words.begin(), words.end(), word);
  return found == words.end() ? -1 : std::int32_t(found - words.begin());
}

Lexicon read_lexicon(const std::string& path) {
  std::ifstream file(path);
  if (!file) throw std::runtime_error(fmt::format("cannot open '{}'", path));
  std::ostringstream text;
  text << file.rdbuf();
  return parse_lexicon(text.str(), path);
}

std::string lexicon_text(const Lexicon& lexicon) {
  std::string text;
  for (std::size_t w = 0; w < lexicon.words.size(); ++w) {
    text += lexicon.words[w] + '\t';
    for (std::size_t p = 0; p < lexicon.pronunciations[w].size(); ++p) {
      text += (p ? " " : "") + lexicon.phonemes[std::size_t(lexicon.pronunciations[w][p] - 1)];
    }
    text += '\n';
  }
  return text;
}

Lexicon parse_lexicon(const std::string& text, const std::string& name) {
  std::istringstream file(text);
  const std::string& path = name;
  std::vector<std::pair<std::string, std::vector<std::string>>> entries;
  std::set<std::string> inventory;
  std::string line;
  for (int number = 1; std::getline(file, line); ++number) {
    if (line.empty() || line[0] == '#') continue;
    std::size_t tab = line.find('\t');
    std::istringstream spelled(tab == std::string::npos ? "" : line.substr(tab + 1));
    std::vector<std::string> phonemes;
    for (std::string phoneme; spelled >> phoneme;) phonemes.push_back(phoneme);
    if (tab == 0 || phonemes.empty()) {
      throw std::runtime_error(fmt::format("{}:{}: expected a word, a tab and its phonemes", path, number));
    }
    std::string word = line.substr(0, tab);
    for (const auto& [seen, unused] : entries) {
      if (seen == word) throw std::runtime_error(fmt::format("{}:{}: '{}' is listed twice", path, number, word));
    }
    inventory.insert(phonemes.begin(), phonemes.end());
    entries.emplace_back(word, phonemes);
  }
  Lexicon lexicon;
  lexicon.phonemes.assign(inventory.begin(), inventory.end());
  for (const auto& [word, phonemes] : entries) {
    lexicon.words.push_back(word);
    std::vector<std::int32_t> classes;
    for (const std::string& phoneme : phonemes) {
      classes.push_back(std::int32_t(std::lower_bound(lexicon.phonemes.begin(), lexicon.phonemes.end(), phoneme) -
                                     lexicon.phonemes.begin()) + 1);
    }
    lexicon.pronunciations.push_back(std::move(classes));
  }
  return lexicon;
}

}  // namespace speech
