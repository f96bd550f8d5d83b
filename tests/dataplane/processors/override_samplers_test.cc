// overridesamplers.
#include <cmath>
#include <set>

#include "dataplane/processors/override_samplers.h"
#include "tests/dataplane/processors/test_util.h"

namespace switchboard::processors::testing {
namespace {

// `samplers { key: "<key>" value { <value> } }`
std::string Sampler(std::string_view key, std::string_view value) {
  return "samplers { key: \"" + std::string(key) + "\" value { " + std::string(value) + " } } ";
}

std::string Overrides(std::string_view samplers) {
  return "type: \"overridesamplers\" " + std::string(samplers);
}

const ApplyCase kOverrideCases[] = {
    {"OverridesSentValue", Overrides(Sampler("temperature", "number: 0.7")),
     R"({"temperature":1.2,"messages":[]})", R"({"temperature":0.7,"messages":[]})"},
    {"AddsSamplerClientDidNotSend", Overrides(Sampler("topP", "number: 0.9")),
     R"({"model":"m"})", R"({"model":"m","top_p":0.9})"},
    {"UnsetRemovesSentField", Overrides(Sampler("topK", "unset: true")),
     R"({"top_k":40,"temperature":1})", R"({"temperature":1})"},
    {"UnsetOfAbsentFieldDoesNothing", Overrides(Sampler("topK", "unset: true")),
     R"({"temperature":1})", R"({"temperature":1})"},
    {"ZeroIsAValue",
     Overrides(Sampler("temperature", "number: 0") + Sampler("frequencyPenalty", "number: 0")),
     R"({"temperature":1,"frequency_penalty":0.5})",
     R"({"temperature":0,"frequency_penalty":0})"},
    {"AllEightFireRouterNames",
     Overrides(Sampler("temperature", "number: 1.5") + Sampler("topP", "number: 0.5") +
               Sampler("topK", "number: 20") + Sampler("topA", "number: 0.1") +
               Sampler("minP", "number: 0.05") + Sampler("frequencyPenalty", "number: 0.2") +
               Sampler("repetitionPenalty", "number: 1.1") +
               Sampler("presencePenalty", "number: 0.3")),
     R"({})",
     R"({"temperature":1.5,"top_p":0.5,"top_k":20,"top_a":0.1,"min_p":0.05,
         "frequency_penalty":0.2,"repetition_penalty":1.1,"presence_penalty":0.3})"},
    {"SnakeCaseNames",
     Overrides(Sampler("top_p", "number: 0.5") + Sampler("min_p", "number: 0.1") +
               Sampler("presence_penalty", "unset: true")),
     R"({"presence_penalty":1})", R"({"top_p":0.5,"min_p":0.1})"},
    {"ExtraSamplers",
     Overrides(Sampler("maxTokens", "number: 512") + Sampler("max_completion_tokens", "number: 9") +
               Sampler("seed", "number: -1") + Sampler("n", "unset: true") +
               Sampler("typicalP", "number: 0.9") + Sampler("dry_multiplier", "number: 0.8") +
               Sampler("xtcProbability", "number: 0.5") + Sampler("topNSigma", "number: 1")),
     R"({"n":2,"max_tokens":100})",
     R"({"max_tokens":512,"max_completion_tokens":9,"seed":-1,"typical_p":0.9,
         "dry_multiplier":0.8,"xtc_probability":0.5,"top_n_sigma":1})"},
    {"NoSamplersDoesNothing", Overrides(""), R"({"temperature":1})", R"({"temperature":1})"},
    {"MessagesUntouched", Overrides(Sampler("temperature", "number: 2")),
     R"({"messages":[{"role":"system","content":"temperature"}]})",
     R"({"messages":[{"role":"system","content":"temperature"}],"temperature":2})"},
    {"RequestNotObject", Overrides(Sampler("temperature", "number: 2")), R"([1,2])",
     R"([1,2])"},
};
INSTANTIATE_TEST_SUITE_P(OverrideSamplers, ProcessorApplyTest,
                         ::testing::ValuesIn(kOverrideCases), CaseName);

const ErrorCase kOverrideErrors[] = {
    {"UnknownSampler", Overrides(Sampler("foo", "number: 1")),
     "processorChains.test[0].foo: unknown sampler 'foo' (accepted: temperature, topP/top_p, "
     "topK/top_k, topA/top_a, minP/min_p, frequencyPenalty/frequency_penalty, "},
    {"WrongCase", Overrides(Sampler("TopK", "number: 1")),
     "processorChains.test[0].TopK: unknown sampler 'TopK' (accepted: "},
    {"NoValue", Overrides(Sampler("topK", "")),
     "processorChains.test[0].topK: expected a number or \"unset\""},
    {"UnsetFalse", Overrides(Sampler("topK", "unset: false")),
     "processorChains.test[0].topK: expected a number or \"unset\""},
    {"NotANumber", Overrides(Sampler("temperature", "number: nan")),
     "processorChains.test[0].temperature: must be a finite number"},
    {"Infinite", Overrides(Sampler("temperature", "number: inf")),
     "processorChains.test[0].temperature: must be a finite number"},
    {"BothSpellings", Overrides(Sampler("topP", "number: 1") + Sampler("top_p", "number: 1")),
     "processorChains.test[0].top_p: sets top_p, which topP already sets"},
};
INSTANTIATE_TEST_SUITE_P(OverrideSamplers, ProcessorErrorTest,
                         ::testing::ValuesIn(kOverrideErrors), ErrorCaseName);

// nlohmann::json compares 40 and 40.0 as equal, so the number types are
// checked here on their own.
TEST(OverrideSamplersTest, IntegerSamplersAreWrittenAsIntegers) {
  ProcessorPtr processor = MustBuild(Overrides(
      Sampler("topK", "number: 40") + Sampler("max_tokens", "number: 512") +
      Sampler("seed", "number: -3") + Sampler("n", "number: 1") +
      Sampler("temperature", "number: 1") + Sampler("minTokens", "number: 2.5")));
  ASSERT_NE(processor, nullptr);
  nlohmann::json out = ApplyOnce(*processor, nlohmann::json::object());
  EXPECT_TRUE(out["top_k"].is_number_integer());
  EXPECT_TRUE(out["max_tokens"].is_number_integer());
  EXPECT_TRUE(out["seed"].is_number_integer());
  EXPECT_TRUE(out["n"].is_number_integer());
  EXPECT_TRUE(out["temperature"].is_number_float());
  EXPECT_TRUE(out["min_tokens"].is_number_float());  // not integral: sent as given
  EXPECT_EQ(out.dump(),
            R"({"max_tokens":512,"min_tokens":2.5,"n":1,"seed":-3,"temperature":1.0,"top_k":40})");
}

TEST(OverrideSamplersTest, AllowListMapsBothSpellingsToSnakeCase) {
  std::set<std::string_view> fields;
  for (const SamplerName& name : AcceptedSamplers()) {
    EXPECT_EQ(FindSampler(name.camel_case), &name);
    EXPECT_EQ(FindSampler(name.snake_case), &name);
    EXPECT_EQ(name.snake_case.find_first_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ"), std::string_view::npos);
    EXPECT_TRUE(fields.insert(name.snake_case).second) << name.snake_case;
  }
  for (std::string_view fire_router :
       {"temperature", "topP", "topK", "topA", "minP", "frequencyPenalty", "repetitionPenalty",
        "presencePenalty", "maxTokens", "max_completion_tokens", "seed", "n", "typical_p", "tfs",
        "top_n_sigma", "min_tokens", "repetition_penalty_range", "mirostat_mode", "mirostatTau",
        "mirostat_eta", "dryMultiplier", "dry_base", "dryAllowedLength", "xtc_threshold",
        "xtcProbability"}) {
    EXPECT_NE(FindSampler(fire_router), nullptr) << fire_router;
  }
  EXPECT_EQ(FindSampler("stream"), nullptr);
  EXPECT_EQ(FindSampler("model"), nullptr);
}

TEST(OverrideSamplersTest, LaterProcessorWins) {
  ::switchboard::config::v1::ProcessorChain chain;
  *chain.add_processors() = ParseProcessor(Overrides(Sampler("temperature", "number: 5")));
  *chain.add_processors() = ParseProcessor(Overrides(Sampler("temperature", "number: 0")));
  *chain.add_processors() = ParseProcessor(Overrides(Sampler("top_p", "unset: true")));
  *chain.add_processors() = ParseProcessor(Overrides(Sampler("topP", "number: 0.3")));
  absl::StatusOr<std::shared_ptr<const Chain>> built = BuildChain(chain, "processorChains.c");
  ASSERT_TRUE(built.ok()) << built.status();
  EXPECT_EQ(ApplyOnce(**built, R"({"temperature":1})"_json), R"({"temperature":0,"top_p":0.3})"_json);
}

}  // namespace
}  // namespace switchboard::processors::testing
