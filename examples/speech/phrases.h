// The utterances the recognizer hears: English number phrases as a
// telephone system reads them — numbers ("four hundred twelve", "seventy
// thousand nine", "minus thirty") and digit strings ("oh five two").
#pragma once

#include <string>
#include <vector>

#include "rnnc/random.h"

namespace speech {

// One phrase drawn at random: a number of one to nine digits (each length
// equally likely, so that short and long numbers are both common), a
// negative number, or a string of two to seven digits read one by one
// with 0 as "oh" or "zero".
std::vector<std::string> random_phrase(rnnc::Rng& rng);

}  // namespace speech
