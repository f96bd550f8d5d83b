#include "dataplane/processors/js_regex.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "absl/status/status.h"
#include "common/json_write.h"

namespace switchboard::processors {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Length of the UTF-8 sequence that starts with `lead` (1 for a stray byte).
size_t Utf8SequenceLength(unsigned char lead) {
  if (lead >= 0xF0 && lead <= 0xF7) return 4;
  if (lead >= 0xE0) return lead <= 0xEF ? 3 : 1;
  if (lead >= 0xC0) return 2;
  return 1;
}

bool IsWordChar(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
char AsciiUpper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

// ASCII punctuation other than '_': escaped, it stands for itself in
// JavaScript and in RE2.
bool IsEscapablePunctuation(char c) {
  return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`' && c != '_') ||
         (c >= '{' && c <= '~');
}

// Characters with a meaning in a pattern when not escaped.
bool IsSyntax(char c) {
  return std::string_view("^$.|?*+()[]{}\\").find(c) != std::string_view::npos;
}

// True when an RE2 pattern may hold an empty-width assertion (^ $ \b \B \A
// \z) or a \Q...\E quote: RE2's PossibleMatchRange does not count matches
// that pass through an assertion (for `\b|{` it says every match begins with
// '{'; the fuzz target js_regex found it), so such patterns get no first-byte
// tries. Errs towards true: a ^ or $ it cannot place is taken as an assertion.
bool MayHaveAssertion(std::string_view pattern) {
  bool in_class = false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\') {
      if (i + 1 == pattern.size()) return true;
      const char escaped = pattern[++i];
      if (escaped == 'Q') return true;
      if (!in_class && (escaped == 'b' || escaped == 'B' || escaped == 'A' || escaped == 'z')) return true;
      continue;
    }
    if (in_class) {
      if (c == ']') in_class = false;
      continue;
    }
    if (c == '[') {
      in_class = true;
      if (i + 1 < pattern.size() && pattern[i + 1] == '^') ++i;
      continue;
    }
    if (c == '^' || c == '$') return true;
  }
  return false;
}

// Finds a literal pattern's matches, left to right, in one text. Candidates are
// the positions where the literal's first two bytes (either case when folded)
// occur, looked for 16 positions at a time with SSE2 (byte by byte elsewhere);
// a pair is rare enough in prose that the full compare seldom runs. A
// one-byte literal checks its one byte.
class LiteralFinder {
 public:
  LiteralFinder(const JsRegex::Literal& literal, std::string_view text)
      : literal_(literal), text_(text), last_offset_(literal.text.size() - 1) {
    const std::string& bytes = literal.text;
    first_ = bytes[0];
    last_ = bytes[last_offset_];
    // Under `fold` the literal is lower case: a letter matches both cases,
    // which are the same byte with 0x20 set.
    first_fold_ = literal.fold && IsAsciiLowerLetter(first_) ? 0x20 : 0;
    last_fold_ = literal.fold && IsAsciiLowerLetter(last_) ? 0x20 : 0;
  }

  // The first match that starts at or after `from`.
  bool Find(size_t from, re2::StringPiece& match) const {
    const size_t size = literal_.text.size();
    while (from < text_.size()) {
      const size_t at = NextCandidate(from);
      if (at == std::string_view::npos || size > text_.size() - at) return false;
      if (Equal(at) && Bounded(at)) {
        match = re2::StringPiece(text_.data() + at, size);
        return true;
      }
      from = at + 1;
    }
    return false;
  }

 private:
  static bool IsAsciiLowerLetter(char c) { return c >= 'a' && c <= 'z'; }

  // The first position at or after `i` where the literal's first and last
  // bytes are (text that repeats the first two bytes often, "co" for
  // "colour", has far fewer first-and-last pairs).
  size_t NextCandidate(size_t i) const {
    const char* data = text_.data();
    const size_t size = text_.size();
#if defined(__SSE2__)
    const __m128i first = _mm_set1_epi8(first_);
    const __m128i last = _mm_set1_epi8(last_);
    const __m128i first_fold = _mm_set1_epi8(first_fold_);
    const __m128i last_fold = _mm_set1_epi8(last_fold_);
    // Reads [i, i + 16 + last_offset_): the 16 positions and the byte
    // last_offset_ after each.
    for (; last_offset_ < size && i + 16 <= size - last_offset_; i += 16) {
      const __m128i here = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + i));
      const __m128i there = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + i + last_offset_));
      const __m128i hits = _mm_and_si128(_mm_cmpeq_epi8(_mm_or_si128(here, first_fold), first),
                                         _mm_cmpeq_epi8(_mm_or_si128(there, last_fold), last));
      const unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(hits));
      if (mask != 0) return i + static_cast<size_t>(__builtin_ctz(mask));
    }
#endif
    for (; last_offset_ < size && i < size - last_offset_; ++i) {
      if ((data[i] | first_fold_) == first_ && (data[i + last_offset_] | last_fold_) == last_) return i;
    }
    return std::string_view::npos;
  }

  bool Equal(size_t at) const {
    const std::string& literal = literal_.text;
    if (!literal_.fold) return std::memcmp(text_.data() + at + 1, literal.data() + 1, literal.size() - 1) == 0;
    for (size_t i = 1; i < literal.size(); ++i) {
      if (AsciiLower(text_[at + i]) != literal[i]) return false;
    }
    return true;
  }

  bool WordAt(size_t i) const { return i < text_.size() && IsWordChar(static_cast<unsigned char>(text_[i])); }

  // \b: a word character on exactly one side.
  bool Bounded(size_t at) const {
    const size_t end = at + literal_.text.size();
    if (literal_.word_start && (at > 0 && WordAt(at - 1)) == WordAt(at)) return false;
    if (literal_.word_end && WordAt(end - 1) == WordAt(end)) return false;
    return true;
  }

  const JsRegex::Literal& literal_;
  const std::string_view text_;
  const size_t last_offset_;  // of the literal's last byte
  char first_;
  char last_;
  char first_fold_;  // 0x20 when the byte is a letter under `fold`, else 0
  char last_fold_;
};

// The number of code points in `run` when it is strict UTF-8 (the JSON
// writer's check: no overlong forms, surrogates or code points beyond
// U+10FFFF), which every RE2 class matches character by character; false
// otherwise. Sixteen (or eight) ASCII bytes at a time.
bool CountCodePoints(std::string_view run, size_t& count) {
  const auto* s = reinterpret_cast<const unsigned char*>(run.data());
  const size_t n = run.size();
  size_t i = 0;
  count = 0;
  while (i < n) {
#if defined(__SSE2__)
    if (i + 16 <= n && _mm_movemask_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i))) == 0) {
      i += 16;
      count += 16;
      continue;
    }
#endif
    uint64_t word;
    if (i + 8 <= n && (std::memcpy(&word, s + i, 8), (word & 0x8080808080808080ull) == 0)) {
      i += 8;
      count += 8;
      continue;
    }
    size_t length = 1;
    if (s[i] >= 0x80) {
      length = ValidUtf8SequenceLength(run.substr(i));
      if (length == 0) return false;
    }
    i += length;
    ++count;
  }
  return true;
}

// Finds an OPEN([^SET]Q)CLOSE pattern's matches (see js_regex.h), left to
// right, in one text: OPEN's first byte by memchr, then the run of bytes not
// in SET after OPEN, its length, CLOSE. Linear in the text: candidates inside
// one run share its end and its count of code points, counted once (when
// CLOSE follows the run and the bounds need it) and then only decreased. A run
// that is not strict UTF-8 hands the rest of the text to RE2's unanchored
// search (RE2's class stops at an invalid byte).
class EnclosedFinder {
 public:
  EnclosedFinder(const JsRegex::Enclosed& form, std::string_view text, const RE2& regex, int submatches)
      : form_(form), text_(text), regex_(regex), submatches_(submatches) {}

  // The first match that starts at or after `from`: groups[0], and groups[1]
  // when the replacement uses it.
  bool Find(size_t from, re2::StringPiece* groups) {
    const char* data = text_.data();
    const size_t size = text_.size();
    const std::string& open = form_.open;
    const std::string& close = form_.close;
    for (; from < size && !to_re2_; ++from) {
      const void* hit = std::memchr(data + from, open[0], size - from);
      if (hit == nullptr) return false;
      from = static_cast<size_t>(static_cast<const char*>(hit) - data);
      if (open.size() > size - from) return false;
      if (std::memcmp(data + from + 1, open.data() + 1, open.size() - 1) != 0) continue;
      const size_t run_begin = from + open.size();
      // Positions only grow, and the first run_begin (at least 1) is past the
      // initial empty run at 0: a new run exactly when this one has ended.
      if (run_begin > run_.end) StartRun(run_begin);
      // No match whatever the bytes are (fewer bytes than code points, at most
      // four bytes per code point, the class cannot pass a SET byte):
      const size_t bytes = run_.end - run_begin;
      if (bytes < form_.min) continue;
      if (form_.max != JsRegex::Enclosed::kUnbounded && bytes / 4 > form_.max) continue;
      if (close.size() > size - run_.end || std::memcmp(data + run_.end, close.data(), close.size()) != 0) continue;
      size_t code_points = 0;
      if (!CodePointsFrom(run_begin, code_points)) {
        to_re2_ = true;
        break;
      }
      if (code_points < form_.min || code_points > form_.max) continue;
      groups[0] = re2::StringPiece(data + from, run_.end + close.size() - from);
      if (submatches_ > 1) groups[1] = re2::StringPiece(data + run_begin, bytes);
      return true;
    }
    if (!to_re2_ || from > size) return false;
    return regex_.Match(re2::StringPiece(data, size), from, size, RE2::UNANCHORED, groups, submatches_);
  }

 private:
  struct Run {
    size_t end = 0;              // the first SET byte at or after the run's start (or the text's end)
    bool counted = false;
    bool valid = false;          // [cursor, end) is strict UTF-8
    size_t cursor = 0;
    size_t code_points = 0;      // in [cursor, end)
  };

  void StartRun(size_t begin) {
    run_ = Run();
    run_.cursor = begin;
    if (form_.set.size() == 1) {
      const void* stop = std::memchr(text_.data() + begin, form_.set[0], text_.size() - begin);
      run_.end = stop == nullptr ? text_.size() : static_cast<size_t>(static_cast<const char*>(stop) - text_.data());
    } else {
      size_t i = begin;
      while (i < text_.size() && !form_.stop[static_cast<unsigned char>(text_[i])]) ++i;
      run_.end = i;
    }
  }

  // The code points from `begin` (after OPEN's last byte, an ASCII one: a
  // character boundary) to the run's end; false when the run is not strict
  // UTF-8.
  bool CodePointsFrom(size_t begin, size_t& code_points) {
    if (!run_.counted) {
      run_.valid = CountCodePoints(text_.substr(run_.cursor, run_.end - run_.cursor), run_.code_points);
      run_.counted = true;
    }
    if (!run_.valid) return false;
    size_t skipped = 0;
    CountCodePoints(text_.substr(run_.cursor, begin - run_.cursor), skipped);
    run_.code_points -= skipped;
    run_.cursor = begin;
    code_points = run_.code_points;
    return true;
  }

  const JsRegex::Enclosed& form_;
  const std::string_view text_;
  const RE2& regex_;
  const int submatches_;
  Run run_;
  bool to_re2_ = false;       // a run was not strict UTF-8: RE2 from there on
};

// At pattern[i]: one character that stands for itself outside a class (a
// character without syntax, or escaped punctuation), appended to `out`.
bool ReadLiteralCharacter(std::string_view pattern, size_t& i, std::string& out) {
  const char c = pattern[i];
  if (c == '\\') {
    if (i + 1 == pattern.size() || !IsEscapablePunctuation(pattern[i + 1])) return false;
    out += pattern[i + 1];
    i += 2;
    return true;
  }
  if (IsSyntax(c)) return false;
  out += c;
  ++i;
  return true;
}

// At pattern[i]: a decimal count (up to 4 digits: RE2 allows no more than
// 1000). RE2 takes a count with a leading zero for no count at all: `{1,015}`
// is literal text to it.
bool ReadCount(std::string_view pattern, size_t& i, size_t& out) {
  const size_t begin = i;
  if (i + 1 < pattern.size() && pattern[i] == '0' && IsDigit(pattern[i + 1])) return false;
  out = 0;
  while (i < pattern.size() && IsDigit(pattern[i]) && i - begin < 4) out = out * 10 + static_cast<size_t>(pattern[i++] - '0');
  return i > begin && (i == pattern.size() || !IsDigit(pattern[i]));
}

absl::Status FlagError(char flag, std::string_view message) {
  std::string text = "flag '";
  text += flag;
  text += "' ";
  text += message;
  return absl::InvalidArgumentError(text);
}

}  // namespace

absl::StatusOr<JsRegexFlags> ParseJsRegexFlags(std::string_view flags) {
  JsRegexFlags parsed;
  std::string seen;
  for (char flag : flags) {
    if (seen.find(flag) != std::string::npos) return FlagError(flag, "is given twice");
    seen += flag;
    switch (flag) {
      case 'g': parsed.global = true; break;
      case 'i': parsed.ignore_case = true; break;
      case 'm': parsed.multiline = true; break;
      case 's': parsed.dot_all = true; break;
      case 'u': parsed.unicode = true; break;  // text is always matched as UTF-8 code points
      case 'y': return FlagError(flag, "(sticky) is not supported");
      default: return FlagError(flag, "is not a known regex flag (accepted: g, i, m, s, u)");
    }
  }
  return parsed;
}

std::string TranslateJsPattern(std::string_view pattern) {
  std::string out;
  out.reserve(pattern.size() + 8);
  bool in_class = false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\') {  // an escape: copy it whole, it is never syntax
      out += c;
      if (i + 1 < pattern.size()) out += pattern[++i];
      continue;
    }
    if (in_class) {
      if (c == ']') in_class = false;
      out += c;
      continue;
    }
    if (c == '[') {
      if (pattern.substr(i, 2) == "[]") {  // JavaScript: matches nothing
        out += "[^\\x00-\\x{10FFFF}]";
        i += 1;
      } else if (pattern.substr(i, 3) == "[^]") {  // JavaScript: any character
        out += "(?s:.)";
        i += 2;
      } else {
        in_class = true;
        out += c;
      }
      continue;
    }
    if (c == '(' && pattern.substr(i, 3) == "(?<" && i + 3 < pattern.size() &&
        pattern[i + 3] != '=' && pattern[i + 3] != '!') {
      out += "(?P<";
      i += 2;
      continue;
    }
    out += c;
  }
  return out;
}

std::optional<JsRegex::Literal> LiteralForm(std::string_view pattern, const JsRegexFlags& flags) {
  JsRegex::Literal literal;
  literal.fold = flags.ignore_case;
  size_t i = 0;
  if (pattern.substr(0, 2) == "\\b") {
    literal.word_start = true;
    i = 2;
  }
  while (i < pattern.size()) {
    if (pattern.substr(i) == "\\b") {
      literal.word_end = true;
      break;
    }
    // Anything but a character standing for itself (a class \d, a control
    // character \n, a \b inside) is no literal.
    if (!ReadLiteralCharacter(pattern, i, literal.text)) return std::nullopt;
  }
  if (literal.text.empty()) return std::nullopt;
  if (literal.fold) {
    for (char& c : literal.text) {
      if (static_cast<unsigned char>(c) >= 0x80) return std::nullopt;  // Unicode case folding: RE2's
      c = AsciiLower(c);
      // With u, JavaScript folds K (Kelvin sign) to k and ſ (long s) to s, as RE2 does.
      if (flags.unicode && (c == 'k' || c == 's')) return std::nullopt;
    }
  }
  return literal;
}

std::optional<JsRegex::Enclosed> EnclosedForm(std::string_view pattern, const JsRegexFlags& flags) {
  JsRegex::Enclosed form;
  const size_t size = pattern.size();
  size_t i = 0;
  while (i < size && pattern[i] != '(' && pattern[i] != '[') {
    if (!ReadLiteralCharacter(pattern, i, form.open)) return std::nullopt;
  }
  if (form.open.empty()) return std::nullopt;
  if (i < size && pattern[i] == '(') {
    form.group = true;
    ++i;
  }
  if (pattern.substr(i, 2) != "[^") return std::nullopt;
  i += 2;
  while (i < size && pattern[i] != ']') {
    const char c = pattern[i];
    if (c == '\\') {
      if (i + 1 == size || !IsEscapablePunctuation(pattern[i + 1])) return std::nullopt;  // \s, \n, \x...
      form.set += pattern[i + 1];
      i += 2;
    } else if (static_cast<unsigned char>(c) >= 0x80 || c == '[' || c == '-' || c == '^') {
      return std::nullopt;  // multi-byte characters, [:classes:], ranges
    } else {
      form.set += c;
      ++i;
    }
  }
  if (i == size || form.set.empty()) return std::nullopt;
  ++i;  // ']'
  if (i == size) return std::nullopt;
  if (pattern[i] == '+' || pattern[i] == '*') {
    form.min = pattern[i] == '+' ? 1 : 0;
    ++i;
  } else if (pattern[i] == '{') {
    ++i;
    if (!ReadCount(pattern, i, form.min)) return std::nullopt;
    form.max = form.min;
    if (i < size && pattern[i] == ',') {
      ++i;
      form.max = JsRegex::Enclosed::kUnbounded;
      if (i < size && pattern[i] != '}' && !ReadCount(pattern, i, form.max)) return std::nullopt;
    }
    if (i == size || pattern[i] != '}' || form.max < form.min) return std::nullopt;
    ++i;
  } else {
    return std::nullopt;
  }
  if (form.group) {
    if (i == size || pattern[i] != ')') return std::nullopt;  // a lazy ? too
    ++i;
  }
  while (i < size) {
    if (!ReadLiteralCharacter(pattern, i, form.close)) return std::nullopt;
  }
  if (form.close.empty() || form.set.find(form.close[0]) == std::string::npos) return std::nullopt;
  for (const std::string* part : {&form.open, &form.close}) {
    for (char c : *part) {
      if (static_cast<unsigned char>(c) >= 0x80) return std::nullopt;  // ASCII delimiters: character boundaries
    }
  }
  for (char c : form.set) form.stop[static_cast<unsigned char>(c)] = true;
  if (flags.ignore_case) {
    // Only without letters is folding nothing (and no Unicode folding applies).
    for (const std::string* part : {&form.open, &form.close, &form.set}) {
      for (char c : *part) {
        if (AsciiLower(c) != AsciiUpper(c)) return std::nullopt;
      }
    }
  }
  return form;
}

absl::StatusOr<std::unique_ptr<const JsRegex>> JsRegex::Compile(std::string_view pattern,
                                                                const JsRegexFlags& flags,
                                                                std::string_view replacement,
                                                                bool shortcuts) {
  RE2::Options options;
  options.set_log_errors(false);
  options.set_case_sensitive(!flags.ignore_case);
  options.set_dot_nl(flags.dot_all);
  std::string translated = TranslateJsPattern(pattern);
  // Outside POSIX mode RE2 has no option for multi-line ^ and $, only the flag.
  if (flags.multiline) translated.insert(0, "(?m)");
  auto regex = std::make_unique<RE2>(translated, options);
  if (!regex->ok()) {
    return absl::InvalidArgumentError(
        "RE2 cannot take this pattern (regexes run in linear time: no back-references or "
        "look-around): " + regex->error());
  }
  std::vector<Piece> pieces = ParseReplacement(replacement, *regex);
  int submatches = 1;
  for (const Piece& piece : pieces) {
    if (piece.kind == Piece::Kind::kGroup) submatches = std::max(submatches, piece.group + 1);
  }
  std::optional<Literal> literal;
  std::optional<Enclosed> enclosed;
  std::optional<char> first_byte;
  if (shortcuts) {
    literal = LiteralForm(pattern, flags);
    if (!literal) enclosed = EnclosedForm(pattern, flags);
    // Every match S has min <= S <= max; a non-empty min rules out the empty
    // match, and equal first bytes fix S's first byte (for patterns without
    // assertions: see MayHaveAssertion).
    std::string min, max;
    if (!literal && !enclosed && !MayHaveAssertion(translated) && regex->PossibleMatchRange(&min, &max, 10) &&
        !min.empty() && !max.empty() && min[0] == max[0]) {
      first_byte = min[0];
    }
  }
  return std::unique_ptr<const JsRegex>(new JsRegex(std::move(regex), flags.global, std::move(pieces), submatches,
                                                    std::move(literal), std::move(enclosed), first_byte));
}

std::vector<JsRegex::Piece> JsRegex::ParseReplacement(std::string_view replacement,
                                                      const RE2& regex) {
  const int group_count = regex.NumberOfCapturingGroups();
  const std::map<std::string, int>& named_groups = regex.NamedCapturingGroups();
  std::vector<Piece> pieces;
  std::string literal;
  auto add = [&](Piece::Kind kind, int group) {
    if (!literal.empty()) pieces.push_back({Piece::Kind::kLiteral, std::move(literal), 0});
    literal.clear();
    pieces.push_back({kind, {}, group});
  };
  const size_t size = replacement.size();
  for (size_t i = 0; i < size; ++i) {
    const char c = replacement[i];
    if (c != '$' || i + 1 == size) {
      literal += c;
      continue;
    }
    const char next = replacement[i + 1];
    if (next == '$') {
      literal += '$';
      ++i;
    } else if (next == '&') {
      add(Piece::Kind::kGroup, 0);
      ++i;
    } else if (next == '`') {
      add(Piece::Kind::kBefore, 0);
      ++i;
    } else if (next == '\'') {
      add(Piece::Kind::kAfter, 0);
      ++i;
    } else if (IsDigit(next)) {
      const int first = next - '0';
      if (i + 2 < size && IsDigit(replacement[i + 2])) {
        const int both = first * 10 + (replacement[i + 2] - '0');
        if (both >= 1 && both <= group_count) {
          add(Piece::Kind::kGroup, both);
          i += 2;
          continue;
        }
      }
      if (first >= 1 && first <= group_count) {
        add(Piece::Kind::kGroup, first);
        ++i;
      } else {
        literal += '$';  // $0 or a group the pattern lacks: the digits follow as text
      }
    } else if (next == '<') {
      const size_t close = named_groups.empty() ? std::string_view::npos
                                                : replacement.find('>', i + 2);
      if (close == std::string_view::npos) {
        literal += '$';  // no named groups, or no '>': literal "$<"
        continue;
      }
      const std::string name(replacement.substr(i + 2, close - (i + 2)));
      auto group = named_groups.find(name);
      if (group != named_groups.end()) add(Piece::Kind::kGroup, group->second);
      // A name the pattern lacks gives empty text (JavaScript's rule).
      i = close;
    } else {
      literal += '$';
    }
  }
  if (!literal.empty()) pieces.push_back({Piece::Kind::kLiteral, std::move(literal), 0});
  return pieces;
}

void JsRegex::Expand(std::string_view subject, const re2::StringPiece* groups,
                     std::string& out) const {
  const size_t match_start = static_cast<size_t>(groups[0].data() - subject.data());
  const size_t match_end = match_start + groups[0].size();
  for (const Piece& piece : pieces_) {
    switch (piece.kind) {
      case Piece::Kind::kLiteral:
        out += piece.literal;
        break;
      case Piece::Kind::kGroup: {
        const re2::StringPiece& group = groups[piece.group];
        if (group.data() != nullptr) out.append(group.data(), group.size());
        break;
      }
      case Piece::Kind::kBefore:
        out.append(subject.data(), match_start);
        break;
      case Piece::Kind::kAfter:
        out.append(subject.data() + match_end, subject.size() - match_end);
        break;
    }
  }
}

bool JsRegex::Next(re2::StringPiece subject, size_t from, re2::StringPiece* groups,
                   bool& tries) const {
  const size_t size = subject.size();
  if (tries) {
    const void* found =
        from < size ? std::memchr(subject.data() + from, *first_byte_, size - from) : nullptr;
    if (found == nullptr) return false;  // no match can begin before the end
    from = static_cast<size_t>(static_cast<const char*>(found) - subject.data());
    if (regex_->Match(subject, from, size, RE2::ANCHOR_START, groups, submatches_)) return true;
    tries = false;  // the rest of the text goes to the unanchored search
  }
  return regex_->Match(subject, from, size, RE2::UNANCHORED, groups, submatches_);
}

bool JsRegex::Replace(std::string& text) const {
  // Only the submatches the replacement uses; RE2 fills each it is given.
  std::array<re2::StringPiece, 4> few;
  std::vector<re2::StringPiece> many;
  re2::StringPiece* groups = few.data();
  if (static_cast<size_t>(submatches_) > few.size()) {
    many.resize(static_cast<size_t>(submatches_));
    groups = many.data();
  }
  const re2::StringPiece subject(text.data(), text.size());
  std::optional<LiteralFinder> finder;
  if (literal_) finder.emplace(*literal_, text);
  std::optional<EnclosedFinder> enclosed;
  if (enclosed_) enclosed.emplace(*enclosed_, text, *regex_, submatches_);
  bool tries = first_byte_.has_value();
  auto next = [&](size_t from) {
    if (finder) return finder->Find(from, groups[0]);
    if (enclosed) return enclosed->Find(from, groups);
    return Next(subject, from, groups, tries);
  };
  std::string out;
  bool matched = false;
  size_t copied = 0;  // text[0, copied) is already in `out`
  size_t position = 0;
  while (position <= text.size() && next(position)) {
    const size_t start = static_cast<size_t>(groups[0].data() - text.data());
    const size_t end = start + groups[0].size();
    if (!matched) {
      out.reserve(text.size() + text.size() / 8);
      matched = true;
    }
    out.append(text, copied, start - copied);
    Expand(text, groups, out);
    copied = end;
    if (!global_) break;
    if (end > start) {
      position = end;
    } else if (end < text.size()) {  // empty match: step over one code point
      position = std::min(text.size(), end + Utf8SequenceLength(static_cast<unsigned char>(text[end])));
    } else {
      break;
    }
  }
  if (!matched) return false;
  out.append(text, copied, std::string::npos);
  text.swap(out);
  return true;
}

}  // namespace switchboard::processors
