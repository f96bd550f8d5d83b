#pragma once
// The one rule for a multi-byte UTF-8 sequence that the JSON writer
// (common/json_write.cc) and the one-pass JSON check
// (dataplane/providers/quick_json.h) both apply: no overlong forms, no
// surrogates, no code points beyond U+10FFFF. Inline, since the check calls it
// for every sequence of a text in Cyrillic or CJK script.

#include <cstddef>

namespace switchboard::utf8 {

// The length (2 to 4) of the valid sequence starting at s[0] (a byte >= 0x80)
// within s[0, n), or 0 when it is not one.
[[gnu::always_inline]] inline size_t SequenceLength(const unsigned char* s, size_t n) {
  const unsigned char c = s[0];
  auto continues = [&](size_t i) { return i < n && (s[i] & 0xC0) == 0x80; };
  if (c >= 0xC2 && c <= 0xDF) return continues(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!continues(1) || !continues(2)) return 0;
    if (c == 0xE0 && s[1] < 0xA0) return 0;  // overlong
    if (c == 0xED && s[1] > 0x9F) return 0;  // a surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!continues(1) || !continues(2) || !continues(3)) return 0;
    if (c == 0xF0 && s[1] < 0x90) return 0;  // overlong
    if (c == 0xF4 && s[1] > 0x8F) return 0;  // beyond U+10FFFF
    return 4;
  }
  return 0;
}

}  // namespace switchboard::utf8
