// Loading the config snippets of FireRouter's README, its example config, JSON,
// and our own examples/demo.yaml.
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <string>

#include "common/config/load.h"
#include "common/config/validate.h"
#include "tests/common/config_test_util.h"

namespace switchboard::config {
namespace {

using testing::LoadError;
using testing::ReadTestdata;
using testing::TestdataPath;

TEST(ConfigReadmeTest, ModelProvidersSnippetNeedsItsChain) {
  // The README's first snippet names a chain that only its second snippet defines.
  auto loaded = LoadConfigFile(TestdataPath("readme_model_providers.yaml"));
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().message(),
            TestdataPath("readme_model_providers.yaml") +
                ":8: modelProviders.gpt-4-1-with-temp-2.processorChain: unknown processor chain "
                "'myCustomChainThatSetsTempTo2'");
}

TEST(ConfigReadmeTest, IntroSnippetsTogetherLoad) {
  std::string text = ReadTestdata("readme_model_providers.yaml") + ReadTestdata("readme_chain.yaml") +
                     ReadTestdata("readme_keys.yaml");
  auto loaded = ParseConfigText(text, "intro.yaml");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  const Config& config = loaded->config;
  ASSERT_EQ(config.model_providers().size(), 2u);
  const auto& raw = config.model_providers().at("gpt-4.1-raw");
  EXPECT_EQ(raw.type(), "openrouter");
  EXPECT_EQ(raw.model_name(), "openai/gpt-4.1");
  EXPECT_EQ(raw.processor_chain(), "");
  EXPECT_EQ(config.model_providers().at("gpt-4-1-with-temp-2").processor_chain(), "myCustomChainThatSetsTempTo2");
  const auto& key = config.key_providers().at("myORKey");
  EXPECT_EQ(key.type(), "literal");
  EXPECT_EQ(key.key(), "sk-or-v1-your-actual-key-here-lol");
  ASSERT_EQ(key.model_targets_size(), 1);
  EXPECT_EQ(key.model_targets(0), "^gpt");
  EXPECT_FALSE(config.has_port());
}

TEST(ConfigReadmeTest, ChainSnippet) {
  auto loaded = LoadConfigFile(TestdataPath("readme_chain.yaml"));
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  const auto& chain = loaded->config.processor_chains().at("myCustomChainThatSetsTempTo2");
  ASSERT_EQ(chain.processors_size(), 2);
  EXPECT_EQ(chain.processors(0).type(), "overridesamplers");
  ASSERT_EQ(chain.processors(0).samplers().size(), 1u);
  EXPECT_EQ(chain.processors(0).samplers().at("temperature").number(), 2.0);
  EXPECT_EQ(chain.processors(1).type(), "nosys");
  EXPECT_EQ(loaded->source_map.at("processorChains.myCustomChainThatSetsTempTo2[1]"), 5);
}

TEST(ConfigReadmeTest, KeysSnippet) {
  auto loaded = LoadConfigFile(TestdataPath("readme_keys.yaml"));
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->config.key_providers().at("myORKey").model_targets(0), "^gpt");
}

TEST(ConfigReadmeTest, RandomizationSnippet) {
  auto loaded = LoadConfigFile(TestdataPath("readme_randomization.yaml"));
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  const auto& random = loaded->config.model_providers().at("random");
  EXPECT_EQ(random.type(), "random");
  ASSERT_EQ(random.model_list_size(), 2);
  EXPECT_EQ(random.model_list(0), "gpt-4.1");
  EXPECT_EQ(random.model_list(1), "qwen-3-32b");
  const auto& weights = loaded->config.model_providers().at("random-2").model_weights();
  ASSERT_EQ(weights.size(), 2u);
  EXPECT_EQ(weights.at("gpt-4.1"), 0.4);
  EXPECT_EQ(weights.at("qwen-3-32b"), 0.6);
  // Names with dots keep their own path.
  EXPECT_EQ(loaded->source_map.at("modelProviders.random-2.modelWeights.gpt-4.1"), 16);
}

TEST(ConfigReadmeTest, ProcessorWeightsExample) {
  auto loaded = LoadConfigFile(TestdataPath("readme_processor_weights.yaml"));
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  const auto& random = loaded->config.processor_chains().at("weighted").processors(0);
  EXPECT_EQ(random.type(), "random");
  ASSERT_EQ(random.processor_weights_size(), 2);
  EXPECT_EQ(random.processor_weights(0).weight(), 2.0);
  EXPECT_EQ(random.processor_weights(0).config().type(), "nosys");
  EXPECT_EQ(random.processor_weights(1).weight(), 3.0);
  EXPECT_EQ(random.processor_weights(1).config().type(), "nodanglingsys");
}

TEST(ConfigReadmeTest, ExampleAsWrittenLacksTheLiteralKey) {
  auto loaded = LoadConfigFile(TestdataPath("readme_example.yaml"));
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().message(),
            TestdataPath("readme_example.yaml") + ":11: keyProviders.or-key.key: required when type is 'literal'");
}

TEST(ConfigReadmeTest, ExampleWithKeyNamesAnUnknownModel) {
  auto loaded = LoadConfigFile(TestdataPath("readme_example_with_key.yaml"));
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().message(),
            TestdataPath("readme_example_with_key.yaml") +
                ":30: modelProviders.random-picker.modelWeights.gpt-4-turbo: unknown model provider 'gpt-4-turbo'");
}

void ExpectCorrectedExample(const Config& config) {
  EXPECT_EQ(config.port(), 3000u);
  const auto& oai = config.key_providers().at("oai-key");
  EXPECT_EQ(oai.type(), "environment");
  EXPECT_EQ(oai.env_var(), "MY_OAI_KEY");
  EXPECT_EQ(oai.model_targets(0), "furbo");
  EXPECT_EQ(config.key_providers().at("or-key").key(), "sk-or-v1-example");
  const auto& furbo = config.model_providers().at("furbo");
  EXPECT_EQ(furbo.type(), "genericoai");
  EXPECT_EQ(furbo.model_name(), "gpt-4-1106-preview");
  EXPECT_EQ(furbo.processor_chain(), "strict-chat");
  const auto& weights = config.model_providers().at("random-picker").model_weights();
  EXPECT_EQ(weights.at("furbo"), 1.0);
  EXPECT_EQ(weights.at("mistral-7b"), 3.0);
  const auto& chain = config.processor_chains().at("strict-chat");
  ASSERT_EQ(chain.processors_size(), 2);
  EXPECT_EQ(chain.processors(0).type(), "nosys");
  const auto& samplers = chain.processors(1).samplers();
  ASSERT_EQ(samplers.size(), 3u);
  EXPECT_EQ(samplers.at("temperature").number(), 0.7);
  EXPECT_EQ(samplers.at("topP").number(), 0.9);
  EXPECT_TRUE(samplers.at("topK").unset());
}

TEST(ConfigReadmeTest, CorrectedExampleLoads) {
  auto loaded = LoadConfigFile(TestdataPath("readme_example_fixed.yaml"));
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->source_name, TestdataPath("readme_example_fixed.yaml"));
  ExpectCorrectedExample(loaded->config);
  EXPECT_EQ(loaded->source_map.at("processorChains.strict-chat[1].topK"), 43);
}

TEST(ConfigReadmeTest, CorrectedExampleAsJsonLoadsTheSame) {
  auto loaded = LoadConfigFile(TestdataPath("readme_example_fixed.json"));
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ExpectCorrectedExample(loaded->config);
  auto from_yaml = LoadConfigFile(TestdataPath("readme_example_fixed.yaml"));
  ASSERT_TRUE(from_yaml.ok()) << from_yaml.status();
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(loaded->config, from_yaml->config));
  EXPECT_EQ(loaded->source_map.at("modelProviders.random-picker.modelWeights.mistral-7b"), 33);
}

TEST(ConfigJsonTest, ErrorsInJsonHaveLines) {
  std::string text = R"({
  "modelProviders": {
    "r": {"type": "random", "modelList": ["x"]}
  }
})";
  EXPECT_EQ(LoadError(text), "test.yaml:3: modelProviders.r.modelList[0]: unknown model provider 'x'");
  // Quoted numbers are strings in JSON as in YAML.
  EXPECT_EQ(LoadError(R"({"port": "3000"})"), "test.yaml:1: port: expected an integer");
}

TEST(ConfigDemoTest, DemoLoadsWithoutKeys) {
  auto loaded = LoadConfigFile(SWITCHBOARD_EXAMPLES_DIR "/demo.yaml");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  const Config& config = loaded->config;
  EXPECT_EQ(config.port(), 3000u);
  EXPECT_TRUE(config.key_providers().empty());
  const auto& demo = config.model_providers().at("demo");
  EXPECT_EQ(demo.type(), "random");
  ASSERT_EQ(demo.model_weights().size(), 3u);
  for (const auto& [member, weight] : demo.model_weights()) {
    const auto& model = config.model_providers().at(member);
    EXPECT_EQ(model.type(), "trivial") << member;
    EXPECT_FALSE(model.output().empty()) << member;
    EXPECT_GT(weight, 0) << member;
  }
}

TEST(ConfigLoadTest, MissingFileNamesFileAndReason) {
  auto loaded = LoadConfigFile("/nonexistent/switchboard.yaml");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(loaded.status().message(),
            "cannot read config file '/nonexistent/switchboard.yaml': No such file or directory");
}

TEST(ConfigLoadTest, DirectoryIsNotAConfig) {
  auto loaded = LoadConfigFile(SWITCHBOARD_TESTDATA_DIR);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find("Is a directory"), std::string::npos) << loaded.status();
}

}  // namespace
}  // namespace switchboard::config
