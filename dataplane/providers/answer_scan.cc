// QuickScanOpenAiAnswer: an OpenAI-compatible answer or streamed chunk
// checked and read in one pass, no tree (declared in json_codec.h).
//
// Every streamed chunk is checked to be JSON before it is relayed, and a
// stream's chunks are small (about 200 bytes), where simdjson's document
// parser, fast per byte, spends most of its work in fixed costs (two stages
// and the tape they fill). This pass is a plain recursive-descent check of
// RFC 8259 run over an explicit stack, which notes on its way the few members
// the OpenAI translator reads.
//
// It reads a copy of the text followed by kPadding zero bytes, so that no step
// tests for the end: a zero byte ends every run (it is allowed nowhere in
// JSON, so one inside the text fails as the end of it does), and the string
// scan can load 16 bytes at a time up to it.

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "common/json_write.h"
#include "common/string_stops.h"
#include "dataplane/providers/json_codec.h"

namespace switchboard::providers {
namespace {

// Deeper nesting is left undecided (the full parsers take it); answers nest
// five or six levels.
constexpr size_t kMaxDepth = 64;
// Larger texts are left to simdjson (not copied, and fast per byte there).
constexpr size_t kMaxQuickBytes = 1 << 20;
// Zero bytes after the copy: the longest read past a byte is the string
// scan's 16, and an escape's 11.
constexpr size_t kPadding = 16;

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
bool ReadHex4(const char* p, uint32_t& unit) {
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
// stand alone (what nlohmann's parser, which has the last word, refuses).
const char* SkipEscape(const char* p) {
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

// The rest of a string from a stop that is not its closing quote.
const char* SkipStringFrom(const char* p, bool& escaped) {
  for (;;) {
    auto c = static_cast<unsigned char>(*p);
    if (c == '"') return p + 1;
    if (c < 0x20) return nullptr;
    if (c == '\\') {
      escaped = true;
      p = SkipEscape(p + 1);
      if (p == nullptr) return nullptr;
    } else {
      // A UTF-8 sequence, checked as the JSON writer checks them (no overlong
      // forms, surrogates or code points past U+10FFFF). Its longest is 4
      // bytes, which the padding makes readable from any byte of the text.
      size_t length = ValidUtf8SequenceLength(std::string_view(p, 4));
      if (length == 0) return nullptr;
      p += length;
    }
    p = NextStringStop(p);
  }
}

// A string's text, `p` just after its opening quote: the byte after its
// closing quote, or nullptr if it is not a valid string. `escaped` is set when
// it holds an escape (its text then differs from its bytes).
[[gnu::always_inline]] inline const char* SkipString(const char* p, bool& escaped) {
  p = NextStringStop(p);
  if (*p == '"') return p + 1;
  return SkipStringFrom(p, escaped);
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

const char* SkipDigits(const char* p) {
  while (IsDigit(*p)) ++p;
  return p;
}

// A number of JSON's grammar at `p`: the byte after it, or nullptr.
// `integer` is set when it has no fraction and no exponent, `huge` when it
// might be beyond a double's range (more than 300 digits before the point,
// counting a positive exponent), which nlohmann and simdjson refuse.
const char* SkipNumber(const char* p, bool& integer, bool& huge) {
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
  // Answers are mostly written without any: one test decides most calls.
  if (static_cast<unsigned char>(*p) > ' ') return p;
  while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t') ++p;
  return p;
}

// The members the scan reads, by where they are.
enum class Member { kOther, kUsage, kChoices, kPromptTokens, kCompletionTokens, kTotalTokens };

Member TopLevelMember(std::string_view key) {
  if (key == "usage") return Member::kUsage;
  if (key == "choices") return Member::kChoices;
  return Member::kOther;
}

Member UsageMember(std::string_view key) {
  if (key == "prompt_tokens") return Member::kPromptTokens;
  if (key == "completion_tokens") return Member::kCompletionTokens;
  if (key == "total_tokens") return Member::kTotalTokens;
  return Member::kOther;
}

int64_t* Count(Usage& usage, Member member) {
  return member == Member::kPromptTokens       ? &usage.prompt_tokens
         : member == Member::kCompletionTokens ? &usage.completion_tokens
                                               : &usage.total_tokens;
}

}  // namespace

bool QuickScanOpenAiAnswer(std::string_view text, Usage& usage, AnswerScan& scan) {
  if (text.size() > kMaxQuickBytes) return false;
  thread_local std::string padded;
  padded.assign(text.data(), text.size());
  padded.append(kPadding, '\0');
  const char* p = padded.data();
  const char* const end = p + text.size();
  char open[kMaxDepth];  // '{' or '[' of each enclosing value
  size_t depth = 0;
  AnswerScan found;
  // The last "usage" member's counts, started from what `usage` held (as the
  // full parse reads them), and whether that member is an object.
  Usage counts = usage;
  bool usage_is_object = false;
  // The member whose value comes next: at depth 1 a top-level one, at depth
  // 2 one of the last "usage" object's (while `in_usage`).
  Member member = Member::kOther;
  bool in_usage = false;
  bool escaped = false;

  // A grammar's three places, as labels: a hot loop over a few hundred bytes,
  // where a state variable's dispatch would cost as much as the checks.
value:  // before a value
  p = SkipSpace(p);
  {
    Member value_of = member;
    member = Member::kOther;
    // A count's repeated member counts with its last value: if that is not
    // an integer, the count keeps what it held before the answer.
    int64_t* count = nullptr;
    if (depth == 2 && in_usage && value_of != Member::kOther) {
      count = Count(counts, value_of);
      *count = *Count(usage, value_of);
    }
    if (depth == 1 && value_of != Member::kOther) {
      if (value_of == Member::kUsage) {
        found.has_usage = true;
        counts = usage;
        usage_is_object = *p == '{';
        in_usage = usage_is_object;
      } else if (value_of == Member::kChoices) {
        found.empty_choices = *p == '[' && *SkipSpace(p + 1) == ']';
      }
    }
    switch (*p) {
      case '"':
        p = SkipString(p + 1, escaped);
        if (p == nullptr) return false;
        goto after_value;
      case '{':
      case '[': {
        if (depth == kMaxDepth) return false;
        const char opener = *p;
        if (depth == 0 && opener == '{') found.object = true;
        open[depth++] = opener;
        p = SkipSpace(p + 1);
        if (*p == (opener == '{' ? '}' : ']')) {
          ++p;
          if (--depth == 1) in_usage = false;
          goto after_value;
        }
        if (opener == '{') goto key;
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
        if (count != nullptr && integer) {
          // A count the full parse reads as an integer. Signed or over 18
          // digits: left to it (how it keeps -0 and values past int64).
          if (*start == '-' || p - start > 18) return false;
          int64_t value = 0;
          for (const char* d = start; d < p; ++d) value = value * 10 + (*d - '0');
          *count = value;
        }
        goto after_value;
      }
    }
  }

key:  // before a member's key
  p = SkipSpace(p);
  if (*p != '"') return false;
  {
    const char* key = p + 1;
    escaped = false;
    p = SkipString(key, escaped);
    if (p == nullptr) return false;
    if (depth == 1 || (depth == 2 && in_usage)) {
      // A key with an escape might spell a member read here: undecided.
      if (escaped) return false;
      std::string_view name(key, static_cast<size_t>(p - 1 - key));
      member = depth == 1 ? TopLevelMember(name) : UsageMember(name);
    }
  }
  p = SkipSpace(p);
  if (*p != ':') return false;
  ++p;
  goto value;

after_value:  // after a value
  p = SkipSpace(p);
  if (depth == 0) {
    if (p != end) return false;
    if (found.has_usage && usage_is_object) usage = counts;
    scan = found;
    return true;
  }
  if (*p == ',') {
    ++p;
    if (open[depth - 1] == '{') goto key;
    goto value;
  }
  if (*p != (open[depth - 1] == '{' ? '}' : ']')) return false;
  ++p;
  if (--depth == 1) in_usage = false;
  goto after_value;
}

}  // namespace switchboard::providers
