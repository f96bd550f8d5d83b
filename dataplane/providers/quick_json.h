#pragma once
// The one-pass JSON check (internal to the providers library) that the
// upstream answer check (answer_scan.cc) and the chat body check
// (chat_scan.cc) read their texts with: Walk, a recursive-descent check of
// RFC 8259 over an explicit stack, which tells a reader of theirs what it
// meets. It runs on a copy of the text followed by kPadding zero bytes
// (PaddedCopy), so that no step tests for the end: a zero byte ends every run
// (it is allowed nowhere in JSON, so one inside the text fails as the end of
// it does), and the string scan can load 16 bytes at a time up to it.
//
// What they accept is a subset of what both nlohmann's parser and simdjson
// accept: UTF-8 and escapes are checked as nlohmann checks them (no lone
// surrogate, escaped or encoded); a number that might be beyond a double's
// range is declined (SkipNumber's `huge`), and an integer's length is the
// reader's to judge.

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "common/string_stops.h"
#include "common/utf8.h"

namespace switchboard::providers::quick_json {

// Zero bytes after the copy: the longest read past a byte is the string
// scan's 16, and an escape's 11.
constexpr size_t kPadding = 16;

// `text` followed by kPadding zero bytes: in a buffer the thread keeps for
// texts up to 2 MiB (so the usual sizes cost no allocation), in `own` for
// larger ones. Valid until the thread's next call.
inline const char* PaddedCopy(std::string_view text, std::string& own) {
  constexpr size_t kKeptBytes = 2 << 20;
  thread_local std::string kept;
  std::string& buffer = text.size() <= kKeptBytes ? kept : own;
  buffer.assign(text.data(), text.size());
  buffer.append(kPadding, '\0');
  return buffer.data();
}

// Where the next byte that ends a run of plain string text is: a quote, a
// backslash, a control byte (not allowed in a string; the padding's zero is
// one) or the first byte of a UTF-8 sequence.
[[gnu::always_inline]] inline const char* NextStringStop(const char* p) {
#if defined(__SSE2__)
  for (;; p += 16) {
    if (unsigned stops = string_stops::Stops16(p)) return p + std::countr_zero(stops);
  }
#else
  for (;; p += 8) {
    if (uint64_t stops = string_stops::Stops8(p)) return p + string_stops::FirstStop8(stops);
  }
#endif
}

// Four hex digits at `p`, their value in `unit`; false if they are not.
inline bool ReadHex4(const char* p, uint32_t& unit) {
  unit = 0;
  for (int i = 0; i < 4; ++i) {
    auto c = static_cast<unsigned char>(p[i]);
    uint32_t digit;
    if (c >= '0' && c <= '9') digit = c - '0';
    else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') digit = (c | 0x20) - 'a' + 10;
    else return false;
    unit = unit << 4 | digit;
  }
  return true;
}

// One escape, `p` just after its backslash. A \u escape of a high surrogate
// must be followed by one of a low surrogate, and a low surrogate must not
// stand alone (what nlohmann's parser and simdjson refuse).
inline const char* SkipEscape(const char* p) {
  switch (*p) {
    case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
      return p + 1;
    case 'u': break;
    default: return nullptr;
  }
  uint32_t unit;
  if (!ReadHex4(p + 1, unit)) return nullptr;
  p += 5;
  if (unit >= 0xDC00 && unit <= 0xDFFF) return nullptr;
  if (unit < 0xD800 || unit > 0xDBFF) return p;
  if (p[0] != '\\' || p[1] != 'u' || !ReadHex4(p + 2, unit)) return nullptr;
  if (unit < 0xDC00 || unit > 0xDFFF) return nullptr;
  return p + 6;
}

// A run of UTF-8 sequences from `p` (its byte >= 0x80), each checked as the
// JSON writer checks them (utf8::SequenceLength): the first byte after the
// run that is ASCII, or nullptr. Inline and run by run, not sequence by
// sequence: text in Cyrillic or CJK scripts is mostly such runs. A sequence's
// longest is 4 bytes, which the padding makes readable from any byte of the
// text.
inline const char* SkipUtf8Run(const char* p) {
  while (static_cast<unsigned char>(*p) >= 0x80) {
    const size_t length = utf8::SequenceLength(reinterpret_cast<const unsigned char*>(p), 4);
    if (length == 0) return nullptr;
    p += length;
  }
  return p;
}

// What a run of UTF-8 costs SkipStringFrom beyond its bytes, in bytes: the
// step in and out of the run loop (a mispredicted branch, about 4 ns, where
// a byte in the run costs about 0.5 ns).
constexpr ptrdiff_t kUtf8RunCost = 8;

// The rest of a string from a stop that is not its closing quote. `wide` is
// what is left of the UTF-8 work the caller will spend (each run's bytes plus
// kUtf8RunCost): past it, the string is declined (nullptr), for a full parser
// to take.
inline const char* SkipStringFrom(const char* p, bool& escaped, ptrdiff_t& wide) {
  for (;;) {
    auto c = static_cast<unsigned char>(*p);
    if (c == '"') return p + 1;
    if (c < 0x20) return nullptr;
    if (c == '\\') {
      escaped = true;
      p = SkipEscape(p + 1);
      if (p == nullptr) return nullptr;
    } else {
      const char* run = p;
      p = SkipUtf8Run(p);
      if (p == nullptr) return nullptr;
      wide -= (p - run) + kUtf8RunCost;
      if (wide < 0) return nullptr;
    }
    p = NextStringStop(p);
  }
}

// A string's text, `p` just after its opening quote: the byte after its
// closing quote, or nullptr if it is not a valid string (or spends more than
// `wide`, see SkipStringFrom). `escaped` is set when it holds an escape (its
// text then differs from its bytes).
[[gnu::always_inline]] inline const char* SkipString(const char* p, bool& escaped, ptrdiff_t& wide) {
  p = NextStringStop(p);
  if (*p == '"') return p + 1;
  return SkipStringFrom(p, escaped, wide);
}

inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }

inline const char* SkipDigits(const char* p) {
  while (IsDigit(*p)) ++p;
  return p;
}

// A number of JSON's grammar at `p`: the byte after it, or nullptr.
// `integer` is set when it has no fraction and no exponent, `huge` when it
// might be beyond a double's range (more than 300 digits before the point,
// counting a positive exponent), which nlohmann and simdjson refuse.
inline const char* SkipNumber(const char* p, bool& integer, bool& huge) {
  if (*p == '-') ++p;
  if (!IsDigit(*p)) return nullptr;
  const char* digits = p;
  p = *p == '0' ? p + 1 : SkipDigits(p);
  int64_t magnitude = p - digits;
  integer = true;
  if (*p == '.') {
    integer = false;
    if (!IsDigit(*++p)) return nullptr;
    p = SkipDigits(p);
  }
  if (*p == 'e' || *p == 'E') {
    integer = false;
    ++p;
    bool negative = *p == '-';
    if (*p == '+' || *p == '-') ++p;
    if (!IsDigit(*p)) return nullptr;
    int64_t exponent = 0;
    for (; IsDigit(*p); ++p) exponent = std::min<int64_t>(exponent * 10 + (*p - '0'), 1000000);
    if (!negative) magnitude += exponent;
  }
  huge = magnitude > 300;
  return p;
}

[[gnu::always_inline]] inline const char* SkipSpace(const char* p) {
  // JSON from programs is mostly written without any: one test decides most
  // calls.
  if (static_cast<unsigned char>(*p) > ' ') return p;
  while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t') ++p;
  return p;
}

// Checks that p[0, end - p) (a padded copy) is one JSON value, nested at most
// kMaxDepth deep, and tells `reader` what it meets on the way; `depth` is the
// number of objects and arrays around the place:
//   bool Value(depth, p)                   before a value, `p` at its first byte
//   bool Key(depth, name, escaped)         a member's key (its text as written)
//   bool String(depth, text, escaped)      a string value (its text as written;
//                                          `escaped` is exact for a member's
//                                          value, and for one in an array says
//                                          whether it or a string before it in
//                                          the array holds an escape)
//   bool Number(depth, text, integer)      a number (`integer`: no fraction or
//                                          exponent), one not `huge`
//   void Closed(depth, p)                  after an object's or array's end, at it
// False when the text is not JSON, nests deeper, has a number that might be
// beyond a double's range, spends more than `wide` (SkipStringFrom), or when
// a reader's step says false. `escaped`: the text holds an escape.
//
// A grammar's three places, as labels: a hot loop over a few hundred bytes,
// where a state variable's dispatch would cost as much as the checks; inline,
// so that the reader's steps are too.
template <size_t kMaxDepth, class Reader>
[[gnu::always_inline]] inline bool Walk(const char* p, const char* const end, ptrdiff_t& wide, Reader& reader) {
  // The closer each enclosing value waits for ('}' or ']'), from closers[1];
  // closers[0] is the text's: the padding's zero byte at its end.
  char closers[kMaxDepth + 1];
  closers[0] = '\0';
  size_t depth = 0;
  bool escaped = false;

value:  // before a value
  p = SkipSpace(p);
  if (!reader.Value(depth, p)) return false;
  switch (*p) {
    case '"': {
      const char* text = p + 1;
      p = SkipString(text, escaped, wide);
      if (p == nullptr) return false;
      if (!reader.String(depth, std::string_view(text, static_cast<size_t>(p - 1 - text)), escaped)) return false;
      goto after_value;
    }
    case '{':
    case '[': {
      if (depth == kMaxDepth) return false;
      const char closer = *p == '{' ? '}' : ']';
      closers[++depth] = closer;
      p = SkipSpace(p + 1);
      if (*p == closer) {
        reader.Closed(--depth, p);
        ++p;
        goto after_value;
      }
      if (closer == '}') goto key;
      goto value;
    }
    case 't':
    case 'f':
    case 'n': {
      std::string_view word = *p == 't' ? "true" : *p == 'f' ? "false" : "null";
      if (std::memcmp(p, word.data(), word.size()) != 0) return false;
      p += word.size();
      goto after_value;
    }
    default: {
      bool integer = false, huge = false;
      const char* start = p;
      p = SkipNumber(p, integer, huge);
      if (p == nullptr || huge) return false;
      if (!reader.Number(depth, std::string_view(start, static_cast<size_t>(p - start)), integer)) return false;
      goto after_value;
    }
  }

key:  // before a member's key
  p = SkipSpace(p);
  if (*p != '"') return false;
  {
    const char* name = p + 1;
    escaped = false;
    p = SkipString(name, escaped, wide);
    if (p == nullptr) return false;
    if (!reader.Key(depth, std::string_view(name, static_cast<size_t>(p - 1 - name)), escaped)) return false;
  }
  p = SkipSpace(p);
  if (*p != ':') return false;
  ++p;
  goto value;

after_value:  // after a value
  p = SkipSpace(p);
  {
    const char closer = closers[depth];
    if (*p == ',') {
      ++p;
      if (closer == '}') goto key;
      if (closer == ']') goto value;
      return false;  // after the text's value
    }
    if (*p != closer) return false;
  }
  if (depth == 0) return p == end;  // a zero byte: the end, or one in the text
  reader.Closed(--depth, p);
  ++p;
  goto after_value;
}

}  // namespace switchboard::providers::quick_json
