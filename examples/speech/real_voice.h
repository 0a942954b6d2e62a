// The real-voice test set: number phrases assembled from a professional
// human voice — the prompts of Debian's asterisk-core-sounds-en-wav (Allison
// Smith, 8 kHz), digits/0.wav .. digits/90.wav, hundred, thousand, million,
// oh, minus — the way a telephone system reads a number out: one recording
// per word, trimmed of its silence, joined with short random pauses.
// Never trained on: it measures how far synthetic training carries.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "utterance_set.h"

namespace speech {

inline constexpr const char* kAsteriskDigits = "/usr/share/asterisk/sounds/en/digits";

// The recording of each word of the vocabulary, FOLDER/N.wav or FOLDER/WORD.wav.
std::string prompt_path(const std::string& prompts, const std::string& word);

// `count` phrases under CACHE/real-vVERSION-sSEED-nCOUNT/, assembled when the folder
// has no manifest yet. Throws AudioError when a prompt cannot be read.
std::vector<Utterance> real_voice_utterances(const std::string& cache, const std::string& prompts, std::int64_t count,
                                             std::uint64_t seed);

}  // namespace speech
