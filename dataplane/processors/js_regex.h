#pragma once
// JavaScript-flavoured find-and-replace on RE2: what FireRouter's
// `content.replace(new RegExp(pattern, flags), replacement)` does, in linear
// time.
//
// Pattern: JavaScript syntax as far as RE2 allows. Translated before RE2 sees
// it: named groups `(?<name>...)` become RE2's `(?P<name>...)` (look-behind
// `(?<=`, `(?<!` is left for RE2 to reject); JavaScript's empty class `[]`
// (matches nothing) and `[^]` (matches any character) get RE2 equivalents.
// Everything else goes to RE2 unchanged, so back-references and look-around are
// rejected. Known differences that remain: `.` and `^`/`$` (with m) treat only
// \n as a line break (JavaScript also \r, U+2028, U+2029); `\s` is ASCII
// whitespace; `\uXXXX` is not accepted (write the character itself or
// `\x{XXXX}`).
//
// Flags: g (replace every match, else only the first), i (case-insensitive),
// m (^ and $ at line breaks), s (dot matches \n), u (accepted; text is always
// UTF-8 code points). y (sticky) is rejected as unsupported; any other letter,
// or a letter given twice, is an error.
//
// Replacement: JavaScript's syntax. $1..$99 (two digits when that group exists,
// else one digit), $& (the match), $` (text before the match), $' (text after
// it), $<name> (a named group), $$ ($). $0, and $n for a group the pattern does
// not have, stay literal; so does $<...> when the pattern has no named groups
// (JavaScript's rule), while a name the pattern lacks gives empty text when it
// has some. A group that exists but did not take part in the match gives
// empty text. Any other $ is literal.
//
// Global replace of an empty match advances one code point, never splitting a
// UTF-8 sequence. Immutable and thread-safe once built.
//
// A pattern that is one literal string, with at most a \b at either end (the
// usual "replace this word or name" processor: `\bcolour\b`, `\{\{user\}\}`),
// is still compiled by RE2 (which checks it) but matched without it: its first
// two bytes looked for 16 positions at a time, a compare, the boundary checks.
// RE2 spends ~300 ns in each search call, whatever the pattern; the literal
// search a few. With i and without u only ASCII letters fold, as in JavaScript
// (RE2 would also match the Kelvin sign for k and the long s for s); a literal
// with other non-ASCII letters under i, or k or s under i with u, goes to RE2.
//
// Any other pattern without ^, $, \b or \B whose matches all begin with one
// byte (RE2's PossibleMatchRange says so: `\*([^*]+)\*`, `<[^>]*>`; it is
// wrong about patterns with assertions) is tried only where that byte occurs
// (memchr), each try anchored there: one anchored RE2 call instead of an
// unanchored search, which runs a forward and then a reverse pass before it
// can extract groups (~180 instead of ~440 ns per match on roleplay text). The
// first failed try hands the rest of the text to the unanchored search, so a
// text full of the byte costs at most one extra pass.
//
// A pattern OPEN([^SET]Q)CLOSE (the group may be left out) is matched without
// RE2 too: OPEN and CLOSE ASCII literals, SET ASCII characters (no ranges or
// classes), Q one of + * {m} {m,} {m,n} (no leading zeros: RE2 reads those
// braces as text), and CLOSE beginning with a character of SET: text between
// delimiters, the usual formatting processor (`\*([^*]{1,200})\*`,
// `"([^"]*)"`, `<([^>]+)>`). Where OPEN occurs, the run up to the next SET byte
// is all the class can take (it cannot pass a SET character, and CLOSE can
// only begin at one), so there is a match exactly when the run's length in
// code points is within Q and CLOSE follows it. With i only when none of the
// three holds a letter. A run that is not strict UTF-8 (RE2's classes do not
// match invalid bytes) hands the rest of the text to RE2's unanchored search.

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <re2/re2.h>

#include "absl/status/statusor.h"

namespace switchboard::processors {

struct JsRegexFlags {
  bool global = false;
  bool ignore_case = false;
  bool multiline = false;
  bool dot_all = false;
  bool unicode = false;
};

// Errors are plain messages (the caller adds the config path).
absl::StatusOr<JsRegexFlags> ParseJsRegexFlags(std::string_view flags);

// The RE2 form of a JavaScript pattern (see above); never fails: what RE2
// cannot take it reports when compiling.
std::string TranslateJsPattern(std::string_view pattern);

class JsRegex {
 public:
  // Compiles `pattern` with `flags` and parses `replacement`. `shortcuts`: the
  // literal search, the delimited-text match and the first-byte tries (see
  // above); tests turn them off to compare with RE2 alone. Errors (a pattern
  // RE2 cannot take) are plain messages that include RE2's error text.
  static absl::StatusOr<std::unique_ptr<const JsRegex>> Compile(std::string_view pattern,
                                                                const JsRegexFlags& flags,
                                                                std::string_view replacement,
                                                                bool shortcuts = true);

  // Replaces the first match (every match with g) in `text`. Returns false,
  // leaving `text` untouched, when nothing matched.
  bool Replace(std::string& text) const;

  int group_count() const { return regex_->NumberOfCapturingGroups(); }
  // True when the pattern is matched by the literal search (see above).
  bool literal() const { return literal_.has_value(); }
  // The byte every match begins with, when the first-byte tries are used.
  std::optional<char> first_byte() const { return first_byte_; }
  // True when the pattern is matched as text between delimiters (see above).
  bool enclosed() const { return enclosed_.has_value(); }

  // A literal pattern's parts.
  struct Literal {
    std::string text;  // lower-case (ASCII) when `fold`
    bool fold = false;
    bool word_start = false;  // \b before it
    bool word_end = false;    // \b after it
  };

  // An OPEN([^SET]Q)CLOSE pattern's parts.
  struct Enclosed {
    static constexpr size_t kUnbounded = SIZE_MAX;
    std::string open;
    std::string close;
    std::string set;                // the characters the class excludes
    std::array<bool, 256> stop{};   // the same, by byte
    size_t min = 0;                 // code points the class takes
    size_t max = kUnbounded;
    bool group = false;             // the class is in group 1
  };

 private:
  struct Piece {
    enum class Kind { kLiteral, kGroup, kBefore, kAfter };
    Kind kind;
    std::string literal;  // kLiteral
    int group = 0;        // kGroup: 0 is the whole match
  };

  JsRegex(std::unique_ptr<RE2> regex, bool global, std::vector<Piece> pieces, int submatches,
          std::optional<Literal> literal, std::optional<Enclosed> enclosed, std::optional<char> first_byte)
      : regex_(std::move(regex)), global_(global), pieces_(std::move(pieces)),
        submatches_(submatches), literal_(std::move(literal)), enclosed_(std::move(enclosed)),
        first_byte_(first_byte) {}

  // The next match at or after `from` (see first_byte_ for `tries`).
  bool Next(re2::StringPiece subject, size_t from, re2::StringPiece* groups, bool& tries) const;

  static std::vector<Piece> ParseReplacement(std::string_view replacement, const RE2& regex);
  void Expand(std::string_view subject, const re2::StringPiece* groups, std::string& out) const;

  const std::unique_ptr<RE2> regex_;
  const bool global_;
  const std::vector<Piece> pieces_;
  const int submatches_;  // 1 + the highest group the replacement uses
  const std::optional<Literal> literal_;
  const std::optional<Enclosed> enclosed_;
  const std::optional<char> first_byte_;
};

// The literal form of a JavaScript pattern under `flags`, if it has one (see
// above); exposed for tests.
std::optional<JsRegex::Literal> LiteralForm(std::string_view pattern, const JsRegexFlags& flags);

// The OPEN([^SET]Q)CLOSE form of a JavaScript pattern under `flags`, if it has
// one (see above); exposed for tests.
std::optional<JsRegex::Enclosed> EnclosedForm(std::string_view pattern, const JsRegexFlags& flags);

}  // namespace switchboard::processors
