// BuildProcessor's type table and field checks; the table-driven fixtures'
// TEST_P bodies; robustness against malformed requests.
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "tests/dataplane/processors/test_util.h"

namespace switchboard::processors::testing {
namespace {

TEST_P(ProcessorApplyTest, Apply) {
  const ApplyCase& c = GetParam();
  ProcessorPtr processor = MustBuild(c.config);
  ASSERT_NE(processor, nullptr);
  const nlohmann::json input = nlohmann::json::parse(c.input);
  const nlohmann::json expected = nlohmann::json::parse(c.expected);
  const nlohmann::json actual = ApplyOnce(*processor, input);
  EXPECT_EQ(actual, expected) << "  actual: " << actual.dump() << "\nexpected: " << expected.dump();
}

TEST_P(ProcessorErrorTest, Build) {
  const ErrorCase& c = GetParam();
  const std::string error = BuildError(c.config);
  ASSERT_FALSE(error.empty()) << "built without error:\n" << c.config;
  // The table holds the whole message, or (for long ones) its beginning.
  EXPECT_TRUE(absl::StartsWith(error, c.error)) << "  actual: " << error << "\nexpected: " << c.error;
}

const ErrorCase kRegistryErrors[] = {
    {"MissingType", R"(role: "user")",
     "processorChains.test[0].type: required (one of nodanglingsys, nosys, overridesamplers, "
     "regex, random, noass, squash, insertmessage, chain)"},
    {"UnknownType", R"(type: "NoSys")",
     "processorChains.test[0].type: unknown processor type 'NoSys' (known: nodanglingsys, nosys, "
     "overridesamplers, regex, random, noass, squash, insertmessage, chain)"},
    {"SamplersOnNoSys", R"(type: "nosys" samplers { key: "temperature" value { number: 1 } })",
     "processorChains.test[0].samplers: not a field of processor type 'nosys'"},
    {"ContentOnNoAss", R"(type: "noass" role: "user" content: "x")",
     "processorChains.test[0].content: not a field of processor type 'noass'"},
    {"FlagsOnChain", R"(type: "chain" processors { type: "nosys" } flags: "g")",
     "processorChains.test[0].flags: not a field of processor type 'chain'"},
    {"SquashStringOnInsert",
     R"(type: "insertmessage" role: "user" content: "" position: 0 squash_string: "")",
     "processorChains.test[0].squashString: not a field of processor type 'insertmessage'"},
};
INSTANTIATE_TEST_SUITE_P(Registry, ProcessorErrorTest, ::testing::ValuesIn(kRegistryErrors),
                         ErrorCaseName);

TEST(RegistryTest, BuiltinTypes) {
  EXPECT_EQ(BuiltinProcessorTypes(),
            (std::vector<std::string_view>{"nodanglingsys", "nosys", "overridesamplers", "regex",
                                           "random", "noass", "squash", "insertmessage",
                                           "chain"}));
}

// One valid config of every type.
const char* const kEveryType[] = {
    R"(type: "nosys")",
    R"(type: "nodanglingsys")",
    R"(type: "overridesamplers" samplers { key: "topK" value { number: 3 } }
       samplers { key: "temperature" value { unset: true } })",
    R"(type: "regex" pattern: "(?<w>a)|" flags: "gims" replacement: "$<w>$1$&$`$'$$")",
    R"(type: "random" processor_list { type: "nosys" } processor_list { type: "nodanglingsys" })",
    R"(type: "noass" role: "user")",
    R"(type: "squash" roles: "user" roles: "assistant" roles: "system" roles: "developer")",
    R"(type: "insertmessage" role: "user" content: "x" position: -2)",
    R"(type: "chain" processors { type: "noass" role: "assistant" })",
};

// Requests of every odd shape: no processor may throw or crash on them.
const char* const kOddRequests[] = {
    R"(null)", R"(42)", R"("text")", R"([])", R"([{"role":"system"}])", R"({})",
    R"({"messages":null})", R"({"messages":{}})", R"({"messages":"x"})", R"({"messages":[]})",
    R"({"messages":[null,1,"s",[],{}]})",
    R"({"messages":[{"role":null},{"role":1},{"role":[]},{"role":{}}]})",
    R"({"messages":[{"role":"user","content":null},{"role":"user","content":1},
                    {"role":"user","content":{}},{"role":"user","content":true},
                    {"role":"user","content":[null,1,"s",[],{},{"type":1},{"type":"text"},
                                              {"type":"text","text":null},{"text":"t"}]},
                    {"role":"user","content":[{"type":"text","text":"ok"}]},
                    {"role":"assistant","tool_calls":[]},{"role":"assistant","content":[]},
                    {"role":"system","content":""},{"role":"system","content":"s"},
                    {"role":"developer","content":[]},{"role":"developer","content":"d"}]})",
    R"({"temperature":"hot","top_k":null,"messages":[{"role":"user","content":"a"}]})",
};

TEST(RegistryTest, NoProcessorThrowsOnOddRequests) {
  for (const char* config : kEveryType) {
    ProcessorPtr processor = MustBuild(config);
    ASSERT_NE(processor, nullptr) << config;
    for (const char* text : kOddRequests) {
      nlohmann::json request = nlohmann::json::parse(text);
      Rng rng(5);
      EXPECT_NO_THROW(processor->Apply(request, rng)) << config << "\n" << text;
    }
  }
}

}  // namespace
}  // namespace switchboard::processors::testing
