// JsRegex: JavaScript pattern, flag and replacement syntax on RE2.
#include "dataplane/processors/js_regex.h"

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "absl/strings/match.h"

namespace switchboard::processors {
namespace {

struct ReplaceCase {
  std::string name;
  std::string pattern;
  std::string flags;
  std::string replacement;
  std::string input;
  std::string expected;
};

void PrintTo(const ReplaceCase& c, std::ostream* os) { *os << c.name; }

class JsRegexReplaceTest : public ::testing::TestWithParam<ReplaceCase> {};

TEST_P(JsRegexReplaceTest, Replace) {
  const ReplaceCase& c = GetParam();
  absl::StatusOr<JsRegexFlags> flags = ParseJsRegexFlags(c.flags);
  ASSERT_TRUE(flags.ok()) << flags.status();
  absl::StatusOr<std::unique_ptr<const JsRegex>> regex =
      JsRegex::Compile(c.pattern, *flags, c.replacement);
  ASSERT_TRUE(regex.ok()) << regex.status();
  std::string text = c.input;
  const bool changed = (*regex)->Replace(text);
  EXPECT_EQ(text, c.expected);
  if (!changed) {
    EXPECT_EQ(text, c.input) << "Replace returned false but changed the text";
  }
}

const ReplaceCase kReplaceCases[] = {
    // g: first match only without it, every match with it.
    {"FirstMatchOnly", "a", "", "X", "banana", "bXnana"},
    {"GlobalEveryMatch", "a", "g", "X", "banana", "bXnXnX"},
    {"NoMatchUnchanged", "z", "g", "X", "banana", "banana"},
    {"EmptyText", "a", "g", "X", "", ""},
    {"EmptyReplacementDeletes", "\\s+", "g", "", "a b  c", "abc"},
    // Groups.
    {"CaptureGroups", "(\\w+)@(\\w+)", "g", "$2 at $1", "me@home you@work",
     "home at me work at you"},
    {"NamedGroups", "(?<user>\\w+)@(?<host>\\w+)", "", "$<host>/$<user>", "me@home you@work",
     "home/me you@work"},
    {"NamedGroupsByNumberToo", "(?<user>\\w+)@(?<host>\\w+)", "", "$2/$1", "me@home",
     "home/me"},
    {"WholeMatch", "n", "g", "[$&]", "banana", "ba[n]a[n]a"},
    {"TextBeforeMatch", "n", "", "<$`>", "banana", "ba<ba>ana"},
    {"TextBeforeLaterMatchIsWholePrefix", "n", "g", "<$`>", "anan", "a<a>a<ana>"},
    {"TextAfterMatch", "n", "", "<$'>", "banana", "ba<ana>ana"},
    {"DollarDollar", "a", "", "$$", "cat", "c$t"},
    {"DollarZeroLiteral", "a", "", "$0", "cat", "c$0t"},
    {"DollarZeroZeroLiteral", "(a)", "", "$00", "cat", "c$00t"},
    {"MissingGroupLiteral", "(a)", "", "[$2]", "cat", "c[$2]t"},
    {"NoGroupsDollarOneLiteral", "a", "", "$1", "cat", "c$1t"},
    {"OneDigitWhenTwoDigitGroupMissing", "(a)", "", "$10", "cat", "ca0t"},
    {"TwoDigitsWhenGroupExists", "(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)", "", "$10-$1", "abcdefghij",
     "j-a"},
    {"LeadingZeroTwoDigits", "(a)", "", "$01", "cat", "cat"},
    {"GroupNotParticipatingIsEmpty", "(a)|(b)", "g", "[$1|$2]", "ab", "[a|][|b]"},
    {"NamedGroupNotParticipatingIsEmpty", "(?<x>a)|(?<y>b)", "g", "[$<x>$<y>]", "ab", "[a][b]"},
    {"NamedReferenceWithoutNamedGroupsLiteral", "(a)", "", "$<x>", "cat", "c$<x>t"},
    {"UnknownNameIsEmpty", "(?<x>a)", "", "[$<y>]", "cat", "c[]t"},
    {"NameWithoutClosingBracketLiteral", "(?<x>a)", "", "$<x", "cat", "c$<xt"},
    {"TrailingDollarLiteral", "a", "", "x$", "cat", "cx$t"},
    {"DollarOtherLiteral", "a", "", "$z$", "cat", "c$z$t"},
    // Flags.
    {"CaseSensitiveByDefault", "hello", "", "bye", "Hello", "Hello"},
    {"IgnoreCase", "HELLO", "i", "bye", "Hello hello", "bye hello"},
    {"IgnoreCaseGlobal", "HELLO", "gi", "bye", "Hello hello", "bye bye"},
    {"IgnoreCaseNonAscii", "é", "i", "e", "É", "e"},
    {"CaretOnlyAtStartWithoutM", "^x", "g", "-", "x\nx", "-\nx"},
    {"CaretAtLinesWithM", "^x", "gm", "-", "x\nx", "-\n-"},
    {"DollarOnlyAtEndWithoutM", "a$", "g", "X", "a\na", "a\nX"},
    {"DollarAtLinesWithM", "a$", "gm", "X", "a\na", "X\nX"},
    {"DotSkipsNewlineWithoutS", "a.b", "g", "X", "a\nb", "a\nb"},
    {"DotAllWithS", "a.b", "gs", "X", "a\nb", "X"},
    {"UnicodeFlagAccepted", "é+", "gu", "e", "ééé", "e"},
    // Empty matches.
    {"EmptyMatchGlobalAdvances", "x*", "g", "-", "abc", "-a-b-c-"},
    {"EmptyMatchAfterMatch", "a*", "g", "-", "baaac", "-b--c-"},
    {"EmptyMatchGlobalUtf8", "", "g", "|", "h\xC3\xA9llo\xF0\x9F\x98\x80",
     "|h|\xC3\xA9|l|l|o|\xF0\x9F\x98\x80|"},
    {"EmptyMatchGlobalCjk", "x?", "g", "-", "\xE4\xBD\xA0\xE5\xA5\xBD",
     "-\xE4\xBD\xA0-\xE5\xA5\xBD-"},
    {"EmptyMatchNotGlobal", "", "", "|", "abc", "|abc"},
    {"EmptyMatchOfEmptyText", "", "g", "|", "", "|"},
    {"DotMatchesWholeCodePoint", ".", "g", "x", "\xC3\xA9\xF0\x9F\x98\x80", "xx"},
    {"WordBoundaryAfterStart", "\\bb", "g", "X", "ab b", "ab X"},
    {"WordBoundarySeesTextBeforeSearchStart", "\\bb", "g", "X", "bb", "Xb"},
    {"CaretSeesTextBeforeSearchStart", "^a", "g", "X", "aa", "Xa"},
    // Pattern translation.
    {"EmptyClassMatchesNothing", "a[]", "g", "X", "a", "a"},
    {"NegatedEmptyClassMatchesAnything", "a[^]b", "", "X", "a\nb", "X"},
    {"EscapedParenNotANamedGroup", "\\(?<b>", "g", "X", "<b> (<b>", "X X"},
    {"ParenInClassNotANamedGroup", "[(?<]", "g", "_", "a?b<c", "a_b_c"},
    {"EscapedSlash", "a\\/b", "", "X", "a/b", "X"},
};
INSTANTIATE_TEST_SUITE_P(JsRegex, JsRegexReplaceTest, ::testing::ValuesIn(kReplaceCases),
                         [](const auto& info) { return info.param.name; });

TEST(JsRegexTest, TranslatesNamedGroupsOnly) {
  EXPECT_EQ(TranslateJsPattern("(?<a>x)(?:y)(?=z)(?<=w)(?<!v)"),
            "(?P<a>x)(?:y)(?=z)(?<=w)(?<!v)");
  EXPECT_EQ(TranslateJsPattern("\\(?<a>"), "\\(?<a>");
  EXPECT_EQ(TranslateJsPattern("[(?<a>]"), "[(?<a>]");
  EXPECT_EQ(TranslateJsPattern("[\\]](?<a>x)"), "[\\]](?P<a>x)");
  EXPECT_EQ(TranslateJsPattern("a[^]b[]"), "a(?s:.)b[^\\x00-\\x{10FFFF}]");
}

TEST(JsRegexTest, Flags) {
  absl::StatusOr<JsRegexFlags> all = ParseJsRegexFlags("gimsu");
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->global && all->ignore_case && all->multiline && all->dot_all && all->unicode);
  absl::StatusOr<JsRegexFlags> none = ParseJsRegexFlags("");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->global || none->ignore_case || none->multiline || none->dot_all ||
               none->unicode);
  EXPECT_EQ(ParseJsRegexFlags("gy").status().message(), "flag 'y' (sticky) is not supported");
  EXPECT_EQ(ParseJsRegexFlags("x").status().message(),
            "flag 'x' is not a known regex flag (accepted: g, i, m, s, u)");
  EXPECT_EQ(ParseJsRegexFlags("G").status().message(),
            "flag 'G' is not a known regex flag (accepted: g, i, m, s, u)");
  EXPECT_EQ(ParseJsRegexFlags("gig").status().message(), "flag 'g' is given twice");
}

TEST(JsRegexTest, PatternsRe2CannotTake) {
  const JsRegexFlags flags;
  for (const char* pattern : {"(a)\\1", "a(?=b)", "a(?!b)", "(?<=a)b", "(?<!a)b",
                              "(?<x>a)\\k<x>", "(", "a{2,1}"}) {
    absl::StatusOr<std::unique_ptr<const JsRegex>> regex = JsRegex::Compile(pattern, flags, "");
    ASSERT_FALSE(regex.ok()) << pattern;
    EXPECT_EQ(regex.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StartsWith(regex.status().message(), "RE2 cannot take this pattern"))
        << regex.status();
  }
  absl::StatusOr<std::unique_ptr<const JsRegex>> backref = JsRegex::Compile("(a)\\1", flags, "");
  EXPECT_TRUE(absl::StrContains(backref.status().message(), "invalid escape sequence: \\1"))
      << backref.status();
  absl::StatusOr<std::unique_ptr<const JsRegex>> lookahead = JsRegex::Compile("a(?=b)", flags, "");
  EXPECT_TRUE(absl::StrContains(lookahead.status().message(), "invalid perl operator: (?="))
      << lookahead.status();
}

TEST(JsRegexTest, LinearTimeOnPathologicalPattern) {
  // Catastrophic for a backtracking engine; RE2 takes it in linear time.
  absl::StatusOr<std::unique_ptr<const JsRegex>> regex =
      JsRegex::Compile("(a+)+$", JsRegexFlags{}, "X");
  ASSERT_TRUE(regex.ok());
  std::string text(50000, 'a');
  text += 'b';
  EXPECT_FALSE((*regex)->Replace(text));
}

JsRegexFlags MustParseFlags(const std::string& flags) {
  absl::StatusOr<JsRegexFlags> parsed = ParseJsRegexFlags(flags);
  EXPECT_TRUE(parsed.ok()) << flags << ": " << parsed.status();
  return parsed.value_or(JsRegexFlags{});
}

std::unique_ptr<const JsRegex> MustCompile(const std::string& pattern, const std::string& flags,
                                           const std::string& replacement, bool shortcuts = true) {
  absl::StatusOr<std::unique_ptr<const JsRegex>> regex =
      JsRegex::Compile(pattern, MustParseFlags(flags), replacement, shortcuts);
  EXPECT_TRUE(regex.ok()) << pattern << ": " << regex.status();
  return regex.ok() ? std::move(regex).value() : nullptr;
}

// Replaces `text` with both; expects the same text and the same answer.
void ExpectSameReplace(const JsRegex& fast, const JsRegex& plain, const std::string& what,
                       const std::string& text) {
  std::string by_fast = text;
  std::string by_plain = text;
  const bool fast_changed = fast.Replace(by_fast);
  const bool plain_changed = plain.Replace(by_plain);
  EXPECT_EQ(by_fast, by_plain) << what << " on \"" << text << '"';
  EXPECT_EQ(fast_changed, plain_changed) << what << " on \"" << text << '"';
}

// Each pattern under each set of flags, compiled with the shortcuts ("fast")
// and with RE2 alone, with a replacement that uses the whole match, group 1
// and both sides: `check(index, flags, fast, plain, what)` sees the two
// first, then they must replace every text alike.
template <typename Check>
void ExpectSameAsRe2Alone(std::span<const char* const> patterns, std::span<const char* const> flag_sets,
                          std::span<const char* const> texts, Check check) {
  const std::string replacement = "[$&|$1|$`|$']";
  for (size_t index = 0; index < patterns.size(); ++index) {
    for (const char* flags : flag_sets) {
      std::unique_ptr<const JsRegex> fast = MustCompile(patterns[index], flags, replacement);
      std::unique_ptr<const JsRegex> plain = MustCompile(patterns[index], flags, replacement, false);
      ASSERT_TRUE(fast && plain);
      const std::string what = std::string(patterns[index]) + " /" + flags;
      check(index, std::string_view(flags), *fast, *plain, what);
      for (const char* text : texts) ExpectSameReplace(*fast, *plain, what, text);
    }
  }
}

TEST(JsRegexLiteralTest, WhichPatternsAreLiteral) {
  struct Case {
    const char* pattern;
    const char* flags;
    const char* text;  // nullptr: not literal
    bool word_start;
    bool word_end;
  };
  const Case cases[] = {
      {"colour", "g", "colour", false, false},
      {"\\bcolour\\b", "gi", "colour", true, true},
      {"\\bCoLoUr", "i", "colour", true, false},
      {"CoLoUr\\b", "", "CoLoUr", false, true},
      {"\\{\\{user\\}\\}", "g", "{{user}}", false, false},
      {"a\\.b\\/c\\\\d", "", "a.b/c\\d", false, false},
      {"caf\xc3\xa9", "g", "caf\xc3\xa9", false, false},  // no fold: bytes compare
      {"a b-c", "", "a b-c", false, false},
      {"she", "gi", "she", false, false},
      // Not literal: RE2's business.
      {"caf\xc3\xa9", "i", nullptr},  // non-ASCII under i: Unicode folding
      {"kiss", "iu", nullptr},          // k, s under iu: fold the Kelvin sign, long s
      {"colou?r", "", nullptr},
      {"a.b", "", nullptr},
      {"a|b", "", nullptr},
      {"^a", "", nullptr},
      {"a$", "", nullptr},
      {"(a)", "", nullptr},
      {"[a]", "", nullptr},
      {"{{user}}", "", nullptr},
      {"a\\nb", "", nullptr},
      {"\\d", "", nullptr},
      {"a\\bb", "", nullptr},  // \b inside
      {"\\b", "", nullptr},    // nothing but a boundary
      {"\\b\\bx", "", nullptr},
      {"a\\_", "", nullptr},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.pattern) + " /" + c.flags);
    const JsRegexFlags flags = MustParseFlags(c.flags);
    std::optional<JsRegex::Literal> literal = LiteralForm(c.pattern, flags);
    ASSERT_EQ(literal.has_value(), c.text != nullptr);
    if (!literal) continue;
    EXPECT_EQ(literal->text, c.text);
    EXPECT_EQ(literal->fold, flags.ignore_case);
    EXPECT_EQ(literal->word_start, c.word_start);
    EXPECT_EQ(literal->word_end, c.word_end);
  }
}

// The literal search must do exactly what RE2 does with the same pattern; a
// non-capturing group around it keeps a pattern out of the literal path.
TEST(JsRegexLiteralTest, SameResultsAsRe2) {
  const char* patterns[] = {"colour", "\\bcolour\\b", "\\bcolour", "colour\\b", "aa", "\\baa\\b",
                            "_x",     "\\b_x\\b",      "\\b-",      "-\\b",      "\\b-\\b",
                            "\\{\\{user\\}\\}", "caf\xc3\xa9", "1", "\\b9\\b", "s"};
  const char* flag_sets[] = {"", "g", "i", "gi", "gu", "giu"};
  const char* texts[] = {
      "",
      "colour",
      "Colour COLOUR cOlOuR colours discolour colour_ colour1 (colour) colour.",
      "colourcolour colour colour",
      "calour c-----r cOLOUr colouR colou colr c\xc3\xa9lour r c",  // first and last bytes without a match
      "aaaa aa a aaa Aa aA",
      "_x _x_ a_x x_x -_x- _X",
      "a-b - -- a- -a 9-9",
      "{{user}} {{User}} {{USER}}{{user}} {user}",
      "caf\xc3\xa9 CAF\xc3\xa9 caf\xc3\x89 caf\xc3\xa9s",
      "1 12 21 9 99 a9 9a 9_ 9",
      "s S \xc5\xbf ss",  // \xc5\xbf: long s, not folded to s without u
      "\xe2\x84\xaa colour \xe2\x80\x94" "colour\xe2\x80\x94",  // Kelvin sign; em dashes are not word characters
  };
  for (const char* pattern : patterns) {
    for (const char* flags : flag_sets) {
      const std::string replacement = "[$&|$`|$'|$1|$$]";
      std::unique_ptr<const JsRegex> literal = MustCompile(pattern, flags, replacement);
      std::unique_ptr<const JsRegex> re2 =
          MustCompile(std::string("(?:") + pattern + ")", flags, replacement);
      ASSERT_TRUE(literal && re2);
      // Under i, non-ASCII letters fold by Unicode's rules, and so do k and s
      // with u: those stay with RE2.
      const std::string p = pattern, f = flags;
      const bool fold = f.find('i') != std::string::npos;
      const bool unicode = f.find('u') != std::string::npos;
      const bool to_re2 = fold && (p.find('\xc3') != std::string::npos ||
                                   (unicode && p.find_first_of("ks") != std::string::npos));
      EXPECT_EQ(literal->literal(), !to_re2) << pattern << " /" << flags;
      EXPECT_FALSE(re2->literal());
      for (const char* text : texts) {
        // RE2 folds the long s to s under i; the literal search (JavaScript
        // without u) does not: compared in JsRegexLiteralTest.FoldsAsciiOnly.
        if (std::string(pattern) == "s" && std::string(flags).find('i') != std::string::npos) continue;
        ExpectSameReplace(*literal, *re2, std::string(pattern) + " /" + flags, text);
      }
    }
  }
}

TEST(JsRegexLiteralTest, FoldsAsciiOnly) {
  // JavaScript without u: /s/i and /k/i match s, S and k, K only; with u also
  // the long s and the Kelvin sign (RE2 folds them both ways, so iu goes to RE2).
  const std::string text = "s S \xc5\xbf k K \xe2\x84\xaa";
  std::string plain = text;
  MustCompile("s", "gi", "_")->Replace(plain);
  MustCompile("k", "gi", "_")->Replace(plain);
  EXPECT_EQ(plain, "_ _ \xc5\xbf _ _ \xe2\x84\xaa");
  std::string unicode = text;
  MustCompile("s", "giu", "_")->Replace(unicode);
  MustCompile("k", "giu", "_")->Replace(unicode);
  EXPECT_EQ(unicode, "_ _ _ _ _ _");
}

TEST(JsRegexLiteralTest, EveryPlaceInTheText) {
  // Candidates (the first and the last byte) are looked for 16 positions at
  // a time: a match at every offset from the start and from the end, in each
  // case, so also with its first byte in one block and its last in the next.
  for (const auto& [pattern, flags, word] : {std::tuple{"colour", "gi", "CoLoUr"},
                                              std::tuple{"colour", "g", "colour"},
                                              std::tuple{"\\{", "g", "{"}}) {
    std::unique_ptr<const JsRegex> regex = MustCompile(pattern, flags, "#");
    ASSERT_TRUE(regex->literal());
    for (size_t before = 0; before < 40; ++before) {
      for (size_t after = 0; after < 20; ++after) {
        std::string text = std::string(before, 'c') + word + std::string(after, 'o');
        ASSERT_TRUE(regex->Replace(text)) << pattern << " at " << before << ", " << after;
        EXPECT_EQ(text, std::string(before, 'c') + "#" + std::string(after, 'o'));
      }
      std::string near_miss = std::string(before, 'c') + std::string(word).substr(0, 1);
      EXPECT_EQ(regex->Replace(near_miss), std::string(word).size() == 1) << pattern;
    }
  }
}

TEST(JsRegexLiteralTest, LongTextManyCandidates) {
  // Candidates of both cases far apart and close together; a text whose one
  // upper-case candidate comes last.
  std::string text(100000, 'c');
  text += " COLOUR";
  std::unique_ptr<const JsRegex> regex = MustCompile("\\bcolour\\b", "gi", "color");
  ASSERT_TRUE(regex->literal());
  ASSERT_TRUE(regex->Replace(text));
  EXPECT_EQ(text, std::string(100000, 'c') + " color");
  std::string repeated;
  for (int i = 0; i < 1000; ++i) repeated += i % 2 ? "Colour " : "colour, ";
  std::string expected;
  for (int i = 0; i < 1000; ++i) expected += i % 2 ? "color " : "color, ";
  ASSERT_TRUE(regex->Replace(repeated));
  EXPECT_EQ(repeated, expected);
}

TEST(JsRegexFirstByteTest, WhichPatternsHaveOne) {
  const std::pair<const char*, std::optional<char>> cases[] = {
      {"\\*([^*\\n]{1,200})\\*", '*'}, {"<[^>\\n]*>", '<'},   {"a(b)?c", 'a'},
      {"(?i)\\*x(y)", '*'},          {"foo(bar)?", 'f'},     {"\\*[$^](x)", '*'},
      {"\xc3\xa9+", '\xc3'},          {"a*", std::nullopt},  {"[ab]c", std::nullopt},
      {"(?i)ab(c)", std::nullopt},    {"x|y", std::nullopt}, {".*x", std::nullopt},
      {"colour", std::nullopt},  // literal: the literal search instead
      {"\\*([^*]{1,200})\\*", std::nullopt}, {"<[^>]*>", std::nullopt},  // enclosed: no RE2 at all
      // Assertions: RE2's range leaves out matches through them (it says '{',
      // 'c' and 'x', though "" and "d" and "*" match), so no tries at all.
      {"\\bfoo(bar)?", std::nullopt}, {"^\\*", std::nullopt},     {"\\b|{", std::nullopt},
      {"(?:\\B|c)d", std::nullopt},   {"(?:x|\\b)\\*", std::nullopt}, {"a$", std::nullopt},
      {"[^a]\\Qb\\E", std::nullopt},
  };
  for (const auto& [pattern, byte] : cases) {
    EXPECT_EQ(MustCompile(pattern, "g", "")->first_byte(), byte) << pattern;
    EXPECT_EQ(MustCompile(pattern, "g", "", /*shortcuts=*/false)->first_byte(), std::nullopt);
  }
}

// Tries at the first byte, anchored, must find exactly RE2's unanchored
// matches: the same leftmost match, the same groups, texts where a try fails
// and the rest goes to RE2.
TEST(JsRegexFirstByteTest, SameResultsAsRe2) {
  const char* patterns[] = {"\\*([^*\\n]{1,200})\\*", "<[^>\\n]*>", "a(b)?c",     "\\*x(y)",
                            "foo(bar)?",            "\\*[$^]x",     "\\*[^*]*",  "\xc3\xa9+(x)?",
                            "\\*\\*|\\*b",          "a(?:bc|b)(c)?",
                            // With assertions: no tries, compared all the same.
                            "\\bfoo(bar)?\\b", "^\\*", "\\b|{", "(?:\\B|c)d", "(?:x|\\b)\\*"};
  const char* flag_sets[] = {"", "g", "gi", "gm"};
  const char* texts[] = {
      "",
      "*a* and *b c* then *d*",
      "**bold** *a*",
      "stray * then *a* and *b",
      "* unclosed at the start and *a*",
      "<p>x</p><br> < not a tag <a href='y'>",
      "ac abc abbc xac AC ABC",
      "*xy *Xy *XY *x",
      "foo foobar food barfoo foo_bar FOOBAR foo.",
      "*line\n*two\nthree *four*\n*",
      "\xc3\xa9\xc3\xa9x \xc3\xa9 caf\xc3\xa9x \xc3\x89",
      "abcc abc ab abcabc",
  };
  constexpr size_t kWithTries = 10;  // the patterns before the ones with assertions
  ASSERT_NO_FATAL_FAILURE(ExpectSameAsRe2Alone(
      patterns, flag_sets, texts,
      [](size_t index, std::string_view flags, const JsRegex& tried, const JsRegex&, const std::string& what) {
        // Under i a letter has two first bytes: then RE2 alone, compared all the same.
        if (flags.find('i') == std::string_view::npos) {
          EXPECT_EQ(tried.first_byte().has_value(), index < kWithTries) << what;
        }
      }));
}

TEST(JsRegexFirstByteTest, TextFullOfTheByte) {
  // A try at the first '<' fails after reading to the end; the rest of the text
  // goes to RE2's unanchored search (one pass), never to 200,000 more tries.
  std::unique_ptr<const JsRegex> regex = MustCompile("<[^>\\n]*>", "g", "");
  ASSERT_TRUE(regex->first_byte().has_value());
  std::string text(200000, '<');
  EXPECT_FALSE(regex->Replace(text));
  text += '>';
  ASSERT_TRUE(regex->Replace(text));
  EXPECT_EQ(text, "");
}

TEST(JsRegexFirstByteTest, ManyGroups) {
  // More groups than Replace keeps on its stack.
  std::unique_ptr<const JsRegex> regex =
      MustCompile("<(a)(b)(c)(d)(e)(f)>", "g", "$6$5$4$3$2$1");
  ASSERT_TRUE(regex->first_byte().has_value());
  std::string text = "x<abcdef>y<abcdef>";
  ASSERT_TRUE(regex->Replace(text));
  EXPECT_EQ(text, "xfedcbayfedcba");
}

TEST(JsRegexEnclosedTest, WhichPatternsAreEnclosed) {
  struct Case {
    const char* pattern;
    const char* flags;
    bool enclosed;
    const char* open = "";
    const char* set = "";
    const char* close = "";
    size_t min = 0;
    size_t max = 0;
    bool group = false;
  };
  constexpr size_t kAny = JsRegex::Enclosed::kUnbounded;
  const Case cases[] = {
      {"\\*([^*]{1,200})\\*", "g", true, "*", "*", "*", 1, 200, true},
      {"\"([^\"]*)\"", "gi", true, "\"", "\"", "\"", 0, kAny, true},
      {"<([^>]+)>", "g", true, "<", ">", ">", 1, kAny, true},
      {"<[^>]*>", "gm", true, "<", ">", ">", 0, kAny, false},
      {"\\[\\[([^\\]]+)\\]\\]", "g", true, "[[", "]", "]]", 1, kAny, true},
      {"\\(([^()]{2,})\\)", "", true, "(", "()", ")", 2, kAny, true},
      {"\\*\\*([^*]{3})\\*\\*", "gs", true, "**", "*", "**", 3, 3, true},
      {"\\{\\{([^}]{0,9})\\}\\}", "gu", true, "{{", "}", "}}", 0, 9, true},
      {"a([^b]+)b", "g", true, "a", "b", "b", 1, kAny, true},
      // Not enclosed: RE2's (or the first byte's) business.
      {"a([^b]+)b", "gi", false},           // letters under i
      {"\\*([^*]+?)\\*", "g", false},       // lazy
      {"\\*([^*]+)\\*?", "g", false},
      {"\\*([^*\\n]+)\\*", "g", false},     // an escape that is not punctuation
      {"\\*([^a-z*]+)\\*", "g", false},     // a range
      {"\\*([^*]+)x", "g", false},          // CLOSE does not begin with a SET character
      {"([^*]+)\\*", "g", false},           // no OPEN
      {"\\*(?:[^*]+)\\*", "g", false},
      {"\\*([^*]+)(\\*)", "g", false},
      {"\\*([^]+)\\*", "g", false},
      {"\\*[^*]\\*", "g", false},           // no quantifier
      {"\\*([^*]{2,1})\\*", "g", false},
      {"\\*([^*]{1,015})\\*", "g", false},  // a leading zero: to RE2 the braces are text (fuzz-found)
      {"\\*([^*]{01})\\*", "g", false},
      {"\xc2\xab([^\xc2]+)\xc2\xbb", "g", false},  // non-ASCII delimiters
      {"\\*([^*]+)\\*|x", "g", false},
      {"^\\*([^*]+)\\*", "g", false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.pattern) + " /" + c.flags);
    std::optional<JsRegex::Enclosed> form = EnclosedForm(c.pattern, MustParseFlags(c.flags));
    ASSERT_EQ(form.has_value(), c.enclosed);
    if (!form) continue;
    EXPECT_EQ(form->open, c.open);
    EXPECT_EQ(form->set, c.set);
    EXPECT_EQ(form->close, c.close);
    EXPECT_EQ(form->min, c.min);
    EXPECT_EQ(form->max, c.max);
    EXPECT_EQ(form->group, c.group);
    for (int byte = 0; byte < 256; ++byte) {
      EXPECT_EQ(form->stop[static_cast<size_t>(byte)], std::string(c.set).find(static_cast<char>(byte)) != std::string::npos);
    }
    std::unique_ptr<const JsRegex> regex = MustCompile(c.pattern, c.flags, "$&");
    ASSERT_TRUE(regex);
    EXPECT_TRUE(regex->enclosed());
    EXPECT_FALSE(regex->first_byte().has_value());
  }
}

// The delimited-text match must find exactly RE2's matches: runs at and
// around the bounds in bytes and in code points, runs that are not UTF-8,
// unclosed and nested delimiters, a close that needs more than one byte.
TEST(JsRegexEnclosedTest, SameResultsAsRe2) {
  const char* patterns[] = {"\\*([^*]{1,200})\\*", "\"([^\"]*)\"", "<([^>]+)>", "<[^>]*>", "\\[\\[([^\\]]+)\\]\\]",
                            "\\(([^()]{2,})\\)",   "\\*\\*([^*]{3})\\*\\*", "\\{([^}]{2,3})\\}", "x([^y]{0,2})yz",
                            "'([^'.!?]+)[.]'"};
  const char* flag_sets[] = {"", "g", "gi", "gmsu"};
  const char* texts[] = {
      "",
      "*a* and *b c* then *d*",
      "**bold** *a* ** *",
      "stray * then *a* and *b",
      "\"Hi,\" she said, \"\" and \"unclosed",
      "<p>x</p><br> < not a tag <a href='y'> <> <<b>>",
      "[[a]] [[b] ] [[c]]] [[[d]] [[]]",
      "(a) (ab) ((ab)) (a(b)c) (abc",
      "**abc** **ab** **abcd** ***abc***",
      "{a} {ab} {abc} {abcd} {\xc3\xa9\xc3\xa9} {\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9} {\xf0\x9f\x98\x80\xf0\x9f\x98\x80}",
      "xyz xayz xaayz xaaayz xy z xyzz",
      "'Hello.' 'Hi!' 'a.b.' 'x'",
      "*line\none* *caf\xc3\xa9* *\xe2\x80\x94*",
      "*bad \xff byte* *fine* <\xc3> {\xc3\xa9\xc3} <ok>",  // not UTF-8: RE2 decides
      "{\xed\xa0\x80\xed\xa0\x80} {\xc0\xaf\xc0\xaf} *\xf4\x90\x80\x80*",
  };
  ASSERT_NO_FATAL_FAILURE(ExpectSameAsRe2Alone(
      patterns, flag_sets, texts,
      [&patterns](size_t index, std::string_view flags, const JsRegex& enclosed, const JsRegex& plain,
                  const std::string& what) {
        const std::string_view pattern = patterns[index];
        const bool letters = pattern.find_first_of("xyz") != std::string_view::npos;
        const bool fold = flags.find('i') != std::string_view::npos;
        EXPECT_EQ(enclosed.enclosed(), !(letters && fold) && pattern.find("[.]") == std::string_view::npos) << what;
        EXPECT_FALSE(plain.enclosed());
      }));
}

TEST(JsRegexEnclosedTest, EveryPlaceAndLength) {
  // A match at every offset, with runs of every length around the bounds, of
  // one-, two- and four-byte characters.
  std::unique_ptr<const JsRegex> enclosed = MustCompile("\\*([^*]{2,5})\\*", "g", "<$1>");
  std::unique_ptr<const JsRegex> plain = MustCompile("\\*([^*]{2,5})\\*", "g", "<$1>", false);
  ASSERT_TRUE(enclosed->enclosed());
  for (const std::string unit : {"a", "\xc3\xa9", "\xf0\x9f\x98\x80"}) {
    for (size_t before = 0; before < 20; ++before) {
      for (size_t length = 0; length < 8; ++length) {
        std::string run;
        for (size_t i = 0; i < length; ++i) run += unit;
        ExpectSameReplace(*enclosed, *plain, "at " + std::to_string(before),
                          std::string(before, '.') + "*" + run + "*" + std::string(before % 3, '*'));
      }
    }
  }
}

TEST(JsRegexEnclosedTest, LinearOnLongRunsAndManyCandidates) {
  // Every '<' is a candidate and they share one run: its end and its code
  // points are found once, not once per candidate (200,000 candidates here).
  std::unique_ptr<const JsRegex> tag = MustCompile("<([^>]*)>", "g", "[$1]");
  ASSERT_TRUE(tag->enclosed());
  std::string text(200000, '<');
  EXPECT_FALSE(tag->Replace(text));
  text += '>';
  ASSERT_TRUE(tag->Replace(text));
  std::string whole = "[";
  whole.append(199999, '<');
  EXPECT_EQ(text, whole + "]");

  std::unique_ptr<const JsRegex> bounded = MustCompile("<([^>]{1,5})>", "g", "[$1]");
  text = std::string(200000, '<') + "ab>";
  ASSERT_TRUE(bounded->Replace(text));
  EXPECT_EQ(text, std::string(199996, '<') + "[<<<ab]");  // the first '<' with at most 5 code points to the '>'

  // Not UTF-8 in the run: RE2 for the rest of the text, one pass.
  std::unique_ptr<const JsRegex> plain = MustCompile("<([^>]*)>", "g", "[$1]", false);
  for (std::string bad : {std::string(100000, '<') + "\xff>" + "<ok>", std::string("<\xc3>") + std::string(100000, '<') + "x>"}) {
    std::string by_plain = bad;
    plain->Replace(by_plain);
    tag->Replace(bad);
    EXPECT_EQ(bad, by_plain);
  }
}

}  // namespace
}  // namespace switchboard::processors
