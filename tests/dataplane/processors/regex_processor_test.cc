// regex: applied to every text of every message.
#include "tests/dataplane/processors/test_util.h"

namespace switchboard::processors::testing {
namespace {

const ApplyCase kRegexCases[] = {
    {"EveryRoleIncludingSystem", R"(type: "regex" pattern: "cat" replacement: "dog")",
     R"({"messages":[{"role":"system","content":"cat"},{"role":"developer","content":"cat"},
                     {"role":"user","content":"cat"},{"role":"assistant","content":"cat"},
                     {"role":"tool","content":"cat"}]})",
     R"({"messages":[{"role":"system","content":"dog"},{"role":"developer","content":"dog"},
                     {"role":"user","content":"dog"},{"role":"assistant","content":"dog"},
                     {"role":"tool","content":"dog"}]})"},
    {"WithoutGFirstMatchPerMessage", R"(type: "regex" pattern: "a" replacement: "X")",
     R"({"messages":[{"role":"user","content":"aa"},{"role":"user","content":"aa"}]})",
     R"({"messages":[{"role":"user","content":"Xa"},{"role":"user","content":"Xa"}]})"},
    {"WithGEveryMatch", R"(type: "regex" pattern: "a" flags: "g" replacement: "X")",
     R"({"messages":[{"role":"user","content":"aa"},{"role":"user","content":"aa"}]})",
     R"({"messages":[{"role":"user","content":"XX"},{"role":"user","content":"XX"}]})"},
    {"EachTextPartSeparately", R"(type: "regex" pattern: "a" replacement: "X")",
     R"({"messages":[{"role":"user","content":[{"type":"text","text":"aa"},
        {"type":"image_url","image_url":{"url":"data:aa"}},{"type":"text","text":"aa"}]}]})",
     R"({"messages":[{"role":"user","content":[{"type":"text","text":"Xa"},
        {"type":"image_url","image_url":{"url":"data:aa"}},{"type":"text","text":"Xa"}]}]})"},
    {"CaptureGroupsInMessages",
     R"(type: "regex" pattern: "\\{\\{(\\w+)\\}\\}" flags: "g" replacement: "<$1>")",
     R"({"messages":[{"role":"system","content":"{{char}} and {{user}}"}]})",
     R"({"messages":[{"role":"system","content":"<char> and <user>"}]})"},
    {"NamedGroupsAndFlags",
     R"(type: "regex" pattern: "^(?<speaker>\\w+):" flags: "gim" replacement: "[$<speaker>]")",
     R"({"messages":[{"role":"user","content":"Anna: hi\nBOB: yo"}]})",
     R"({"messages":[{"role":"user","content":"[Anna] hi\n[BOB] yo"}]})"},
    {"DeleteWithEmptyReplacement",
     R"(type: "regex" pattern: "<think>.*?</think>\\s*" flags: "gs" replacement: "")",
     R"({"messages":[{"role":"assistant","content":"<think>a\nb</think>\nanswer"}]})",
     R"({"messages":[{"role":"assistant","content":"answer"}]})"},
    {"NullContentAndToolCalls", R"(type: "regex" pattern: "a" flags: "g" replacement: "X")",
     R"({"messages":[{"role":"assistant","content":null,"tool_calls":[{"function":{"arguments":"a"}}]},
                     {"role":"assistant"},{"role":"user","content":5},
                     {"role":"user","content":[{"type":"text","text":7},{"type":"text"},"a",null]}]})",
     R"({"messages":[{"role":"assistant","content":null,"tool_calls":[{"function":{"arguments":"a"}}]},
                     {"role":"assistant"},{"role":"user","content":5},
                     {"role":"user","content":[{"type":"text","text":7},{"type":"text"},"a",null]}]})"},
    {"OnlyContentNotNameOrOtherFields", R"(type: "regex" pattern: "a" flags: "g" replacement: "X")",
     R"({"model":"a","messages":[{"role":"user","name":"a","content":"a"}]})",
     R"({"model":"a","messages":[{"role":"user","name":"a","content":"X"}]})"},
    {"EmptyMessageList", R"(type: "regex" pattern: "a" replacement: "X")", R"({"messages":[]})",
     R"({"messages":[]})"},
    {"NoMessagesField", R"(type: "regex" pattern: "a" replacement: "X")", R"({"a":"a"})",
     R"({"a":"a"})"},
    {"MessagesNotArray", R"(type: "regex" pattern: "a" replacement: "X")",
     R"({"messages":{"content":"a"}})", R"({"messages":{"content":"a"}})"},
    {"EmptyMatchGlobalUtf8InMessage",
     R"pb(type: "regex" pattern: "(?:)" flags: "g" replacement: "-")pb",
     R"({"messages":[{"role":"user","content":"\u00e9\ud83d\ude00"}]})",
     R"({"messages":[{"role":"user","content":"-\u00e9-\ud83d\ude00-"}]})"},
};
INSTANTIATE_TEST_SUITE_P(Regex, ProcessorApplyTest, ::testing::ValuesIn(kRegexCases), CaseName);

const ErrorCase kRegexErrors[] = {
    {"MissingPattern", R"(type: "regex" replacement: "x")",
     "processorChains.test[0].pattern: required"},
    {"MissingReplacement", R"(type: "regex" pattern: "x")",
     "processorChains.test[0].replacement: required (may be empty)"},
    {"StickyFlag", R"(type: "regex" pattern: "x" replacement: "" flags: "gy")",
     "processorChains.test[0].flags: flag 'y' (sticky) is not supported"},
    {"UnknownFlag", R"(type: "regex" pattern: "x" replacement: "" flags: "q")",
     "processorChains.test[0].flags: flag 'q' is not a known regex flag (accepted: g, i, m, s, u)"},
    {"BackReference", R"(type: "regex" pattern: "(a)\\1" replacement: "")",
     "processorChains.test[0].pattern: RE2 cannot take this pattern (regexes run in linear time: "
     "no back-references or look-around): invalid escape sequence: \\1"},
    {"LookAhead", R"pb(type: "regex" pattern: "a(?=b)" replacement: "")pb",
     "processorChains.test[0].pattern: RE2 cannot take this pattern (regexes run in linear time: "
     "no back-references or look-around): invalid perl operator: (?="},
    {"LookBehind", R"(type: "regex" pattern: "(?<=a)b" replacement: "")",
     "processorChains.test[0].pattern: RE2 cannot take this pattern"},
    {"RegexTakesNoRole", R"(type: "regex" pattern: "a" replacement: "" role: "user")",
     "processorChains.test[0].role: not a field of processor type 'regex'"},
};
INSTANTIATE_TEST_SUITE_P(Regex, ProcessorErrorTest, ::testing::ValuesIn(kRegexErrors),
                         ErrorCaseName);

}  // namespace
}  // namespace switchboard::processors::testing
