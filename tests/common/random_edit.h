#pragma once
// Random edits of a text, for the differential tests that compare one of our
// readers with a reference on many near-valid inputs (the head parsers against
// Beast's, the quick chat body scan against simdjson's). No GoogleTest in
// here: the fuzz targets' helpers include it too.

#include <cstddef>
#include <random>
#include <string>
#include <string_view>

namespace switchboard::test_util {

// One to three random edits of `text` (a byte put in, taken out or changed),
// the bytes drawn mostly from `alphabet` (what the grammar turns on), else
// from any byte.
inline void EditRandomly(std::string& text, std::mt19937& rng, std::string_view alphabet) {
  const int edits = 1 + static_cast<int>(rng() % 3);
  for (int e = 0; e < edits && !text.empty(); ++e) {
    const size_t at = rng() % text.size();
    const char c = rng() % 4 == 0 ? static_cast<char>(rng() % 256) : alphabet[rng() % alphabet.size()];
    switch (rng() % 3) {
      case 0: text.insert(text.begin() + static_cast<std::ptrdiff_t>(at), c); break;
      case 1: text.erase(at, 1); break;
      default: text[at] = c; break;
    }
  }
}

}  // namespace switchboard::test_util
