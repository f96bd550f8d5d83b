// JsRegex: JavaScript pattern, flag and replacement syntax on RE2.
#include "dataplane/processors/js_regex.h"

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
  EXPECT_TRUE(all->global && all->ignore_case && all->multiline && all->dot_all);
  absl::StatusOr<JsRegexFlags> none = ParseJsRegexFlags("");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->global || none->ignore_case || none->multiline || none->dot_all);
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

}  // namespace
}  // namespace switchboard::processors
