// A set of recorded utterances on disk: a folder of WAV files and a
// manifest, manifest.tsv, one line per utterance — file name, voice, the
// words spoken — written last and atomically, so that a manifest present
// means the set is complete. A set's folder is named after the recipe that
// made it and the version of the code that makes sets, so the files in it
// are always that recipe's.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace speech {

// Raise it whenever a change to synthesis or assembly changes the audio a
// recipe names: sets made before live in other folders and are not reused.
inline constexpr int kSetVersion = 3;

struct Utterance {
  std::string audio_path;
  std::string voice;
  std::vector<std::string> words;
};

// The utterances listed in FOLDER/manifest.tsv, or nothing when there is no
// manifest or a file it lists is missing. Throws std::runtime_error for a
// malformed manifest.
std::optional<std::vector<Utterance>> read_utterance_set(const std::string& folder);

// Writes FOLDER/manifest.tsv for `utterances`, whose files lie in FOLDER.
void write_manifest(const std::string& folder, const std::vector<Utterance>& utterances);

}  // namespace speech
