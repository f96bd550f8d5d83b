// random, chain, and named chains (BuildChain).
#include <algorithm>
#include <array>
#include <vector>

#include "dataplane/processors/random_processor.h"
#include "tests/dataplane/processors/test_util.h"

namespace switchboard::processors::testing {
namespace {

constexpr int kDraws = 100000;
constexpr double kTolerance = 0.01;

// FireRouter README's processorWeights example.
constexpr char kReadmeWeights[] = R"(
  type: "random"
  processor_weights { weight: 2 config { type: "nosys" } }
  processor_weights { weight: 3 config { type: "nodanglingsys" } })";

// After nosys the leading system message is user; after nodanglingsys it stays.
const nlohmann::json kSystemThenUser =
    R"({"messages":[{"role":"system","content":"s"},{"role":"user","content":"u"}]})"_json;

bool ChoseNoSys(const Processor& processor, Rng& rng) {
  nlohmann::json request = kSystemThenUser;
  processor.Apply(request, rng);
  return request["messages"][0]["role"] == "user";
}

TEST(RandomProcessorTest, ProcessorListChoosesUniformly) {
  ProcessorPtr processor = MustBuild(R"(
    type: "random"
    processor_list { type: "overridesamplers" samplers { key: "seed" value { number: 0 } } }
    processor_list { type: "overridesamplers" samplers { key: "seed" value { number: 1 } } }
    processor_list { type: "overridesamplers" samplers { key: "seed" value { number: 2 } } })");
  ASSERT_NE(processor, nullptr);
  Rng rng(20240601);
  std::array<int, 3> counts{};
  for (int i = 0; i < kDraws; ++i) {
    nlohmann::json request = nlohmann::json::object();
    processor->Apply(request, rng);
    ++counts.at(request["seed"].get<int>());
  }
  for (int count : counts) EXPECT_NEAR(count / double(kDraws), 1.0 / 3.0, kTolerance);
}

TEST(RandomProcessorTest, ProcessorWeightsChooseByWeight) {
  ProcessorPtr processor = MustBuild(kReadmeWeights);
  ASSERT_NE(processor, nullptr);
  Rng rng(42);
  int nosys = 0;
  for (int i = 0; i < kDraws; ++i) nosys += ChoseNoSys(*processor, rng) ? 1 : 0;
  EXPECT_NEAR(nosys / double(kDraws), 2.0 / 5.0, kTolerance);
}

TEST(RandomProcessorTest, ReadmeWeightsExampleBuilds) {
  ProcessorPtr processor = MustBuild(kReadmeWeights);
  ASSERT_NE(processor, nullptr);
  const auto* random = dynamic_cast<const RandomProcessor*>(processor.get());
  ASSERT_NE(random, nullptr);
  ASSERT_EQ(random->size(), 2u);
  EXPECT_DOUBLE_EQ(random->Probability(0), 0.4);
  EXPECT_DOUBLE_EQ(random->Probability(1), 0.6);
}

TEST(RandomProcessorTest, WeightsWinOverList) {
  ProcessorPtr processor = MustBuild(R"(
    type: "random"
    processor_list { type: "nosys" }
    processor_weights { weight: 1 config { type: "nodanglingsys" } })");
  ASSERT_NE(processor, nullptr);
  Rng rng(3);
  for (int i = 0; i < 1000; ++i) ASSERT_FALSE(ChoseNoSys(*processor, rng));
}

TEST(RandomProcessorTest, FreshChoicePerRequestDeterministicWithSeed) {
  ProcessorPtr processor = MustBuild(kReadmeWeights);
  ASSERT_NE(processor, nullptr);
  auto draw = [&](uint64_t seed) {
    Rng rng(seed);
    std::vector<bool> outcomes;
    for (int i = 0; i < 200; ++i) outcomes.push_back(ChoseNoSys(*processor, rng));
    return outcomes;
  };
  const std::vector<bool> first = draw(7);
  EXPECT_EQ(first, draw(7));
  EXPECT_NE(first, draw(8));
  const auto chosen = std::count(first.begin(), first.end(), true);
  EXPECT_GT(chosen, 0);
  EXPECT_LT(chosen, 200);
}

TEST(RandomProcessorTest, SingleChoiceAlwaysRuns) {
  ProcessorPtr processor = MustBuild(R"(type: "random" processor_list { type: "nosys" })");
  ASSERT_NE(processor, nullptr);
  Rng rng(1);
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(ChoseNoSys(*processor, rng));
}

const ApplyCase kChainCases[] = {
    {"RunsInOrderInsertThenNoSys", R"(
       type: "chain"
       processors { type: "insertmessage" role: "system" content: "S" position: 0 }
       processors { type: "nosys" })",
     R"({"messages":[{"role":"user","content":"u"}]})",
     R"({"messages":[{"role":"user","content":"S"},{"role":"user","content":"u"}]})"},
    {"RunsInOrderNoSysThenInsert", R"(
       type: "chain"
       processors { type: "nosys" }
       processors { type: "insertmessage" role: "system" content: "S" position: 0 })",
     R"({"messages":[{"role":"user","content":"u"}]})",
     R"({"messages":[{"role":"system","content":"S"},{"role":"user","content":"u"}]})"},
    {"ChainInsideRandomInsideChain", R"(
       type: "chain"
       processors { type: "random" processor_list {
         type: "chain"
         processors { type: "regex" pattern: "a" flags: "g" replacement: "b" }
         processors { type: "squash" roles: "user" } } }
       processors { type: "noass" role: "user" })",
     R"({"messages":[{"role":"user","content":"a"},{"role":"user","content":"aa"},
                     {"role":"assistant","content":"a"}]})",
     R"({"messages":[{"role":"user","content":"b\n\nbb"},{"role":"user","content":"b"}]})"},
};
INSTANTIATE_TEST_SUITE_P(Chain, ProcessorApplyTest, ::testing::ValuesIn(kChainCases), CaseName);

const ErrorCase kCompositeErrors[] = {
    {"RandomWithoutChoices", R"(type: "random")",
     "processorChains.test[0]: random needs a non-empty processorList or processorWeights"},
    {"ZeroWeight", R"(type: "random" processor_weights { weight: 0 config { type: "nosys" } })",
     "processorChains.test[0].processorWeights[0].weight: weight must be a finite number > 0 "
     "(got 0)"},
    {"NegativeWeight", R"(type: "random"
       processor_weights { weight: 1 config { type: "nosys" } }
       processor_weights { weight: -1 config { type: "nosys" } })",
     "processorChains.test[0].processorWeights[1].weight: weight must be a finite number > 0 "
     "(got -1)"},
    {"InfiniteWeight", R"(type: "random" processor_weights { weight: inf config { type: "nosys" } })",
     "processorChains.test[0].processorWeights[0].weight: weight must be a finite number > 0 "
     "(got inf)"},
    {"NanWeight", R"(type: "random" processor_weights { weight: nan config { type: "nosys" } })",
     "processorChains.test[0].processorWeights[0].weight: weight must be a finite number > 0"},
    {"WeightWithoutConfig", R"(type: "random" processor_weights { weight: 1 })",
     "processorChains.test[0].processorWeights[0].config: required (a processor)"},
    {"BadWeightedConfig", R"(type: "random"
       processor_weights { weight: 1 config { type: "nosys" } }
       processor_weights { weight: 1 config { type: "noass" } })",
     "processorChains.test[0].processorWeights[1].config.role: required (user or assistant)"},
    {"BadListMember", R"(type: "random" processor_list { type: "nosys" } processor_list { type: "bogus" })",
     "processorChains.test[0].processorList[1].type: unknown processor type 'bogus' (known: "
     "nodanglingsys, nosys, overridesamplers, regex, random, noass, squash, insertmessage, chain)"},
    {"ListMemberWithoutType", R"(type: "random" processor_list { })",
     "processorChains.test[0].processorList[0].type: required (one of nodanglingsys, nosys, "},
    {"ChainWithoutProcessors", R"(type: "chain")",
     "processorChains.test[0].processors: required (a non-empty list of processors)"},
    {"ChainBadMember", R"(type: "chain"
       processors { type: "nosys" } processors { type: "nosys" }
       processors { type: "noass" role: "system" })",
     "processorChains.test[0].processors[2].role: role must be user or assistant (got 'system')"},
    {"DeepPath", R"(type: "chain" processors { type: "random"
       processor_list { type: "chain" processors { type: "regex" replacement: "" } } })",
     "processorChains.test[0].processors[0].processorList[0].processors[0].pattern: required"},
    {"RandomTakesNoProcessors", R"(type: "random" processor_list { type: "nosys" }
       processors { type: "nosys" })",
     "processorChains.test[0].processors: not a field of processor type 'random'"},
};
INSTANTIATE_TEST_SUITE_P(Composite, ProcessorErrorTest, ::testing::ValuesIn(kCompositeErrors),
                         ErrorCaseName);

::switchboard::config::v1::ProcessorChain ParseChain(std::string_view text) {
  ::switchboard::config::v1::ProcessorChain chain;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(std::string(text), &chain)) << text;
  return chain;
}

// FireRouter README's example chain.
constexpr char kStrictChat[] = R"(
  processors { type: "nosys" }
  processors {
    type: "overridesamplers"
    samplers { key: "temperature" value { number: 0.7 } }
    samplers { key: "topP" value { number: 0.9 } }
    samplers { key: "topK" value { unset: true } }
  })";

TEST(BuildChainTest, ReadmeStrictChat) {
  absl::StatusOr<std::shared_ptr<const Chain>> chain =
      BuildChain(ParseChain(kStrictChat), "processorChains.strict-chat");
  ASSERT_TRUE(chain.ok()) << chain.status();
  EXPECT_EQ((*chain)->size(), 2u);
  Rng rng(1);
  nlohmann::json request = R"({
    "model":"furbo","stream":true,"temperature":1,"top_k":40,"max_tokens":300,
    "messages":[{"role":"system","content":"You are a narrator."},{"role":"user","content":"Hi"},
                {"role":"assistant","content":"Hello"},{"role":"system","content":"[OOC]"}]})"_json;
  (*chain)->Apply(request, rng);
  EXPECT_EQ(request, R"({
    "model":"furbo","stream":true,"temperature":0.7,"top_p":0.9,"max_tokens":300,
    "messages":[{"role":"user","content":"You are a narrator."},{"role":"user","content":"Hi"},
                {"role":"assistant","content":"Hello"},{"role":"user","content":"[OOC]"}]})"_json);
}

TEST(BuildChainTest, ErrorsNameChainAndIndex) {
  absl::StatusOr<std::shared_ptr<const Chain>> chain = BuildChain(
      ParseChain(R"(processors { type: "nosys" }
                    processors { type: "overridesamplers" samplers { key: "topK" value { } } })"),
      "processorChains.strict-chat");
  ASSERT_FALSE(chain.ok());
  EXPECT_EQ(chain.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(chain.status().message(),
            "processorChains.strict-chat[1].topK: expected a number or \"unset\"");

  chain = BuildChain(ParseChain(R"(processors { type: "random"
      processor_weights { weight: 2 config { type: "nosys" } }
      processor_weights { weight: 0 config { type: "nodanglingsys" } } })"),
                     "processorChains.c");
  ASSERT_FALSE(chain.ok());
  EXPECT_EQ(chain.status().message(),
            "processorChains.c[0].processorWeights[1].weight: weight must be a finite number > 0 "
            "(got 0)");
}

TEST(BuildChainTest, EmptyChainDoesNothing) {
  absl::StatusOr<std::shared_ptr<const Chain>> chain =
      BuildChain(::switchboard::config::v1::ProcessorChain(), "processorChains.empty");
  ASSERT_TRUE(chain.ok()) << chain.status();
  EXPECT_EQ((*chain)->size(), 0u);
  EXPECT_TRUE((*chain)->empty());
  const nlohmann::json request = R"({"messages":[{"role":"system","content":"s"}]})"_json;
  EXPECT_EQ(ApplyOnce(**chain, request), request);
}

}  // namespace
}  // namespace switchboard::processors::testing
