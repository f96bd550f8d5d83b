// insertmessage: Array.prototype.splice(position, 0, message).
#include <cstdint>
#include <limits>

#include "dataplane/processors/insert_message.h"
#include "tests/dataplane/processors/test_util.h"

namespace switchboard::processors::testing {
namespace {

std::string Insert(int64_t position) {
  return R"(type: "insertmessage" role: "system" content: "NEW" position: )" +
         std::to_string(position);
}

// Six messages "0".."5", with NEW at `index` (none when index < 0).
std::string SixWithNewAt(int index) {
  nlohmann::json messages = nlohmann::json::array();
  for (int i = 0; i < 6; ++i) {
    messages.push_back(nlohmann::json{{"role", "user"}, {"content", std::to_string(i)}});
  }
  if (index >= 0) {
    messages.insert(messages.begin() + index, nlohmann::json{{"role", "system"}, {"content", "NEW"}});
  }
  nlohmann::json request = nlohmann::json::object();
  request["messages"] = std::move(messages);
  return request.dump();
}

const std::string kSix = SixWithNewAt(-1);

const ApplyCase kInsertCases[] = {
    {"PositionMinus8ClampsToStart", Insert(-8), kSix, SixWithNewAt(0)},
    {"PositionMinus7ClampsToStart", Insert(-7), kSix, SixWithNewAt(0)},
    {"PositionMinus6IsStart", Insert(-6), kSix, SixWithNewAt(0)},
    {"PositionMinus1BeforeLast", Insert(-1), kSix, SixWithNewAt(5)},
    {"PositionMinus2", Insert(-2), kSix, SixWithNewAt(4)},
    {"Position0", Insert(0), kSix, SixWithNewAt(0)},
    {"Position3", Insert(3), kSix, SixWithNewAt(3)},
    {"Position6Appends", Insert(6), kSix, SixWithNewAt(6)},
    {"Position100Appends", Insert(100), kSix, SixWithNewAt(6)},
    {"EmptyListNegative", Insert(-1), R"({"messages":[]})",
     R"({"messages":[{"role":"system","content":"NEW"}]})"},
    {"EmptyListPositive", Insert(5), R"({"messages":[]})",
     R"({"messages":[{"role":"system","content":"NEW"}]})"},
    {"NoMessagesFieldLeftAlone", Insert(0), R"({"model":"m"})", R"({"model":"m"})"},
    {"MessagesNotArrayLeftAlone", Insert(0), R"({"messages":"x"})", R"({"messages":"x"})"},
    {"EmptyContentAndDeveloperRole",
     R"(type: "insertmessage" role: "developer" content: "" position: -1)",
     R"({"messages":[{"role":"user","content":[{"type":"text","text":"a"}]}]})",
     R"({"messages":[{"role":"developer","content":""},
                     {"role":"user","content":[{"type":"text","text":"a"}]}]})"},
};
INSTANTIATE_TEST_SUITE_P(InsertMessage, ProcessorApplyTest, ::testing::ValuesIn(kInsertCases),
                         CaseName);

TEST(InsertMessageTest, SpliceIndexExtremes) {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(InsertMessageProcessor::SpliceIndex(kMin, 6), 0u);
  EXPECT_EQ(InsertMessageProcessor::SpliceIndex(kMax, 6), 6u);
  EXPECT_EQ(InsertMessageProcessor::SpliceIndex(kMin, 0), 0u);
  EXPECT_EQ(InsertMessageProcessor::SpliceIndex(kMax, 0), 0u);
  EXPECT_EQ(InsertMessageProcessor::SpliceIndex(-6, 6), 0u);
  EXPECT_EQ(InsertMessageProcessor::SpliceIndex(-5, 6), 1u);
}

TEST(InsertMessageTest, EachRequestGetsItsOwnCopy) {
  ProcessorPtr processor = MustBuild(Insert(0));
  ASSERT_NE(processor, nullptr);
  nlohmann::json out = ApplyOnce(*processor, R"({"messages":[]})"_json);
  out["messages"][0]["content"] = "changed";
  EXPECT_EQ(ApplyOnce(*processor, R"({"messages":[]})"_json),
            R"({"messages":[{"role":"system","content":"NEW"}]})"_json);
}

const ErrorCase kInsertErrors[] = {
    {"MissingRole", R"(type: "insertmessage" content: "x" position: 0)",
     "processorChains.test[0].role: required (one of user, assistant, system, developer)"},
    {"BadRole", R"(type: "insertmessage" role: "tool" content: "x" position: 0)",
     "processorChains.test[0].role: role must be one of user, assistant, system, developer "
     "(got 'tool')"},
    {"MissingContent", R"(type: "insertmessage" role: "user" position: 0)",
     "processorChains.test[0].content: required (a string, may be empty)"},
    {"MissingPosition", R"(type: "insertmessage" role: "user" content: "x")",
     "processorChains.test[0].position: required (an integer; negative counts from the end)"},
};
INSTANTIATE_TEST_SUITE_P(InsertMessage, ProcessorErrorTest, ::testing::ValuesIn(kInsertErrors),
                         ErrorCaseName);

}  // namespace
}  // namespace switchboard::processors::testing
