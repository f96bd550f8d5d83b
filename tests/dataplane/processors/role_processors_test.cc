// nosys, nodanglingsys, noass.
#include "tests/dataplane/processors/test_util.h"

namespace switchboard::processors::testing {
namespace {

const ApplyCase kNoSysCases[] = {
    {"SystemAndDeveloperBecomeUser", R"(type: "nosys")",
     R"({"messages":[{"role":"system","content":"s"},{"role":"developer","content":"d"},
                     {"role":"user","content":"u"},{"role":"assistant","content":"a"},
                     {"role":"system","content":"s2"}]})",
     R"({"messages":[{"role":"user","content":"s"},{"role":"user","content":"d"},
                     {"role":"user","content":"u"},{"role":"assistant","content":"a"},
                     {"role":"user","content":"s2"}]})"},
    {"NoSystemMessagesUnchanged", R"(type: "nosys")",
     R"({"messages":[{"role":"user","content":"u"},{"role":"assistant","content":"a"}]})",
     R"({"messages":[{"role":"user","content":"u"},{"role":"assistant","content":"a"}]})"},
    {"EmptyMessageList", R"(type: "nosys")", R"({"messages":[]})", R"({"messages":[]})"},
    {"NoMessagesField", R"(type: "nosys")", R"({"model":"m","temperature":1})",
     R"({"model":"m","temperature":1})"},
    {"MessagesNotArray", R"(type: "nosys")", R"({"messages":"system"})",
     R"({"messages":"system"})"},
    {"RequestNotObject", R"(type: "nosys")", R"([{"role":"system"}])", R"([{"role":"system"}])"},
    {"KeepsContentPartsAndOtherFields", R"(type: "nosys")",
     R"({"messages":[{"role":"system","name":"n","content":[{"type":"text","text":"t"},
        {"type":"image_url","image_url":{"url":"data:x"}}]}],"stream":true})",
     R"({"messages":[{"role":"user","name":"n","content":[{"type":"text","text":"t"},
        {"type":"image_url","image_url":{"url":"data:x"}}]}],"stream":true})"},
    {"ToolCallsAndNullContent", R"(type: "nosys")",
     R"({"messages":[{"role":"assistant","content":null,"tool_calls":[{"id":"1"}]},
                     {"role":"tool","tool_call_id":"1","content":"r"},{"role":"system"}]})",
     R"({"messages":[{"role":"assistant","content":null,"tool_calls":[{"id":"1"}]},
                     {"role":"tool","tool_call_id":"1","content":"r"},{"role":"user"}]})"},
    {"MalformedMessagesLeftAlone", R"(type: "nosys")",
     R"({"messages":[1,null,"system",{"role":5},{"content":"x"},{"role":"system"}]})",
     R"({"messages":[1,null,"system",{"role":5},{"content":"x"},{"role":"user"}]})"},
};
INSTANTIATE_TEST_SUITE_P(NoSys, ProcessorApplyTest, ::testing::ValuesIn(kNoSysCases), CaseName);

const ApplyCase kNoDanglingSysCases[] = {
    {"LeadingBlockStaysLaterBecomeUser", R"(type: "nodanglingsys")",
     R"({"messages":[{"role":"system","content":"1"},{"role":"developer","content":"2"},
                     {"role":"user","content":"3"},{"role":"system","content":"4"},
                     {"role":"assistant","content":"5"},{"role":"developer","content":"6"}]})",
     R"({"messages":[{"role":"system","content":"1"},{"role":"developer","content":"2"},
                     {"role":"user","content":"3"},{"role":"user","content":"4"},
                     {"role":"assistant","content":"5"},{"role":"user","content":"6"}]})"},
    {"AssistantStartsTheConversation", R"(type: "nodanglingsys")",
     R"({"messages":[{"role":"system","content":"1"},{"role":"assistant","content":"2"},
                     {"role":"system","content":"3"}]})",
     R"({"messages":[{"role":"system","content":"1"},{"role":"assistant","content":"2"},
                     {"role":"user","content":"3"}]})"},
    {"ToolMessageDoesNotStartTheConversation", R"(type: "nodanglingsys")",
     R"({"messages":[{"role":"system","content":"1"},{"role":"tool","content":"2"},
                     {"role":"system","content":"3"}]})",
     R"({"messages":[{"role":"system","content":"1"},{"role":"tool","content":"2"},
                     {"role":"system","content":"3"}]})"},
    {"OnlySystemMessages", R"(type: "nodanglingsys")",
     R"({"messages":[{"role":"system","content":"1"},{"role":"system","content":"2"}]})",
     R"({"messages":[{"role":"system","content":"1"},{"role":"system","content":"2"}]})"},
    {"NoSystemMessages", R"(type: "nodanglingsys")",
     R"({"messages":[{"role":"user","content":"1"},{"role":"assistant","content":"2"}]})",
     R"({"messages":[{"role":"user","content":"1"},{"role":"assistant","content":"2"}]})"},
    {"EmptyMessageList", R"(type: "nodanglingsys")", R"({"messages":[]})",
     R"({"messages":[]})"},
    {"NoMessagesField", R"(type: "nodanglingsys")", R"({"model":"m"})", R"({"model":"m"})"},
    {"MessagesNotArray", R"(type: "nodanglingsys")", R"({"messages":{"role":"system"}})",
     R"({"messages":{"role":"system"}})"},
};
INSTANTIATE_TEST_SUITE_P(NoDanglingSys, ProcessorApplyTest,
                         ::testing::ValuesIn(kNoDanglingSysCases), CaseName);

const ApplyCase kNoAssCases[] = {
    {"FromFirstAssistantAllBecomeUser", R"(type: "noass" role: "user")",
     R"({"messages":[{"role":"system","content":"1"},{"role":"user","content":"2"},
                     {"role":"assistant","content":"3"},{"role":"user","content":"4"},
                     {"role":"system","content":"5"},{"role":"assistant","content":"6"},
                     {"role":"developer","content":"7"},{"role":"tool","content":"8"}]})",
     R"({"messages":[{"role":"system","content":"1"},{"role":"user","content":"2"},
                     {"role":"user","content":"3"},{"role":"user","content":"4"},
                     {"role":"user","content":"5"},{"role":"user","content":"6"},
                     {"role":"user","content":"7"},{"role":"user","content":"8"}]})"},
    {"FromFirstAssistantAllBecomeAssistant", R"(type: "noass" role: "assistant")",
     R"({"messages":[{"role":"system","content":"1"},{"role":"user","content":"2"},
                     {"role":"assistant","content":"3"},{"role":"user","content":"4"},
                     {"role":"system","content":"5"}]})",
     R"({"messages":[{"role":"system","content":"1"},{"role":"user","content":"2"},
                     {"role":"assistant","content":"3"},{"role":"assistant","content":"4"},
                     {"role":"assistant","content":"5"}]})"},
    {"FirstMessageIsAssistant", R"(type: "noass" role: "user")",
     R"({"messages":[{"role":"assistant","content":"1"},{"role":"system","content":"2"}]})",
     R"({"messages":[{"role":"user","content":"1"},{"role":"user","content":"2"}]})"},
    {"NoAssistantMessageUnchanged", R"(type: "noass" role: "user")",
     R"({"messages":[{"role":"system","content":"1"},{"role":"user","content":"2"}]})",
     R"({"messages":[{"role":"system","content":"1"},{"role":"user","content":"2"}]})"},
    {"KeepsContentAndToolCalls", R"(type: "noass" role: "user")",
     R"({"messages":[{"role":"assistant","content":null,"tool_calls":[{"id":"1"}]},
                     {"role":"user","content":[{"type":"image_url","image_url":{"url":"u"}}]}]})",
     R"({"messages":[{"role":"user","content":null,"tool_calls":[{"id":"1"}]},
                     {"role":"user","content":[{"type":"image_url","image_url":{"url":"u"}}]}]})"},
    {"EmptyMessageList", R"(type: "noass" role: "user")", R"({"messages":[]})",
     R"({"messages":[]})"},
    {"NoMessagesField", R"(type: "noass" role: "user")", R"({"n":1})", R"({"n":1})"},
    {"NonObjectMessagesSkipped", R"(type: "noass" role: "user")",
     R"({"messages":[{"role":"assistant"},null,7,{"role":"system"}]})",
     R"({"messages":[{"role":"user"},null,7,{"role":"user"}]})"},
};
INSTANTIATE_TEST_SUITE_P(NoAss, ProcessorApplyTest, ::testing::ValuesIn(kNoAssCases), CaseName);

const ErrorCase kRoleErrors[] = {
    {"NoAssWithoutRole", R"(type: "noass")",
     "processorChains.test[0].role: required (user or assistant)"},
    {"NoAssWithSystemRole", R"(type: "noass" role: "system")",
     "processorChains.test[0].role: role must be user or assistant (got 'system')"},
    {"NoSysTakesNoRole", R"(type: "nosys" role: "user")",
     "processorChains.test[0].role: not a field of processor type 'nosys'"},
    {"NoDanglingSysTakesNoPattern", R"(type: "nodanglingsys" pattern: "x")",
     "processorChains.test[0].pattern: not a field of processor type 'nodanglingsys'"},
};
INSTANTIATE_TEST_SUITE_P(Roles, ProcessorErrorTest, ::testing::ValuesIn(kRoleErrors),
                         ErrorCaseName);

}  // namespace
}  // namespace switchboard::processors::testing
