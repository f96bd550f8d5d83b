#pragma once
// The bytes of JSON string text that need a look: a quote, a backslash, a
// control byte (not allowed in a string) or a byte >= 0x80 (part of a UTF-8
// sequence, to be checked). Found 16 bytes at a time with SSE2, or 8 with a
// 64-bit word. Shared by the JSON writer (common/json_write.cc), which escapes
// them, and the one-pass JSON check (dataplane/providers/quick_json.h), which
// validates them; inline, since both call it once per run of plain text.

#include <bit>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace switchboard::string_stops {

#if defined(__SSE2__)
// Bit i is set when byte i of the 16 at `p` needs a look.
[[gnu::always_inline]] inline unsigned Stops16(const void* p) {
  const __m128i bytes = _mm_loadu_si128(static_cast<const __m128i*>(p));
  // As signed bytes, the control bytes and those >= 0x80 are exactly the ones
  // less than 0x20.
  const __m128i special = _mm_or_si128(
      _mm_cmplt_epi8(bytes, _mm_set1_epi8(0x20)),
      _mm_or_si128(_mm_cmpeq_epi8(bytes, _mm_set1_epi8('"')), _mm_cmpeq_epi8(bytes, _mm_set1_epi8('\\'))));
  return static_cast<unsigned>(_mm_movemask_epi8(special));
}
#endif

// Nonzero when one of the 8 bytes at `p` needs a look. The lowest set bit is
// the high bit of the first such byte (bit 8i + 7 for byte i); bits above it
// may be set for bytes that need none.
[[gnu::always_inline]] inline uint64_t Stops8(const void* p) {
  static_assert(std::endian::native == std::endian::little, "the byte order the word scan reads");
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  constexpr uint64_t kHighs = 0x8080808080808080ull;
  uint64_t w;
  std::memcpy(&w, p, sizeof w);
  const uint64_t quote = w ^ (kOnes * '"');
  const uint64_t backslash = w ^ (kOnes * '\\');
  const uint64_t special = ((w - kOnes * 0x20) & ~w)           // < 0x20 (or >= 0x80, caught below)
                           | ((quote - kOnes) & ~quote)         // == '"'
                           | ((backslash - kOnes) & ~backslash)  // == '\\'
                           | w;                                 // >= 0x80
  return special & kHighs;
}

// The index of the first byte that needs a look among 8 with Stops8 nonzero.
[[gnu::always_inline]] inline unsigned FirstStop8(uint64_t stops) {
  return static_cast<unsigned>(std::countr_zero(stops)) >> 3;
}

}  // namespace switchboard::string_stops
