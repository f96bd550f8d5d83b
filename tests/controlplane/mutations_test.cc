#include "controlplane/mutations.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "controlplane/config_check.h"
#include "tests/controlplane/test_util.h"

namespace switchboard::controlplane {
namespace {

using testing::kBaseYaml;
using testing::ParseYaml;

class SetWeightsTest : public ::testing::Test {
 protected:
  config::v1::Config config_ = ParseYaml(kBaseYaml);
};

TEST_F(SetWeightsTest, ReplacesWeightsAndSummarizes) {
  auto summary = SetWeights(config_, "pick", {{"a", 0.25}, {"c", 4}});
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(*summary, "SetWeights pick: a=0.25 c=4");
  const auto& weights = config_.model_providers().at("pick").model_weights();
  ASSERT_EQ(weights.size(), 2u);
  EXPECT_EQ(weights.at("a"), 0.25);
  EXPECT_EQ(weights.at("c"), 4);
  EXPECT_TRUE(ValidateForControlPlane(config_).ok());
}

TEST_F(SetWeightsTest, ClearsModelList) {
  config::v1::ModelProvider listed;
  listed.set_type("random");
  listed.add_model_list("a");
  listed.add_model_list("b");
  (*config_.mutable_model_providers())["listed"] = listed;
  ASSERT_TRUE(SetWeights(config_, "listed", {{"b", 1}}).ok());
  EXPECT_EQ(config_.model_providers().at("listed").model_list_size(), 0);
  EXPECT_EQ(config_.model_providers().at("listed").model_weights().at("b"), 1);
}

TEST_F(SetWeightsTest, UnknownMemberNamesThePath) {
  config::v1::Config before = config_;
  auto summary = SetWeights(config_, "pick", {{"a", 1}, {"gpt-5", 1}});
  ASSERT_EQ(summary.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(summary.status().message(), "modelProviders.pick.modelWeights.gpt-5: unknown model provider 'gpt-5'");
  EXPECT_TRUE(SameConfig(before, config_)) << "a refused change must leave the config alone";
}

TEST_F(SetWeightsTest, NonPositiveAndNonFiniteWeightsAreRefused) {
  for (double weight : {0.0, -1.0, std::numeric_limits<double>::infinity(), std::nan("")}) {
    auto summary = SetWeights(config_, "pick", {{"a", weight}});
    ASSERT_EQ(summary.status().code(), absl::StatusCode::kInvalidArgument) << weight;
    EXPECT_NE(summary.status().message().find("modelProviders.pick.modelWeights.a: weight must be a finite number > 0"),
              std::string::npos)
        << summary.status();
  }
  EXPECT_EQ(SetWeights(config_, "pick", {{"a", -1}}).status().message(),
            "modelProviders.pick.modelWeights.a: weight must be a finite number > 0, got -1");
}

TEST_F(SetWeightsTest, ProviderMustBeRandom) {
  auto summary = SetWeights(config_, "a", {{"b", 1}});
  ASSERT_EQ(summary.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(summary.status().message(),
            "modelProviders.a: is of type 'trivial'; SetWeights needs a provider of type 'random'");
}

TEST_F(SetWeightsTest, UnknownProviderIsNotFound) {
  auto summary = SetWeights(config_, "nope", {{"a", 1}});
  ASSERT_EQ(summary.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(summary.status().message(), "modelProviders.nope: no model provider named 'nope'");
}

TEST_F(SetWeightsTest, EmptyWeightsAreRefused) {
  auto summary = SetWeights(config_, "pick", {});
  ASSERT_EQ(summary.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(summary.status().message(), "modelProviders.pick.modelWeights: at least one member is required");
}

TEST(KeyProviderTest, LiteralWithoutKeyKeepsTheCurrentKey) {
  config::v1::Config config = ParseYaml(kBaseYaml);
  config::v1::KeyProvider edited;
  edited.set_type("literal");
  edited.add_model_targets("^a$");
  auto summary = PutKeyProvider(config, "lit", edited);
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(*summary, "PutKeyProvider lit (replaced, type literal)");
  EXPECT_EQ(config.key_providers().at("lit").key(), "sk-literal-secret-123");
  EXPECT_EQ(config.key_providers().at("lit").model_targets(0), "^a$");

  edited.set_key("sk-new");
  ASSERT_TRUE(PutKeyProvider(config, "lit", edited).ok());
  EXPECT_EQ(config.key_providers().at("lit").key(), "sk-new");
}

TEST(KeyProviderTest, SummariesNeverContainTheKey) {
  config::v1::Config config = ParseYaml(kBaseYaml);
  config::v1::KeyProvider provider;
  provider.set_type("literal");
  provider.set_key("sk-very-secret-value");
  provider.add_model_targets(".*");
  auto summary = PutKeyProvider(config, "fresh", provider);
  ASSERT_TRUE(summary.ok());
  EXPECT_EQ(summary->find("sk-very-secret-value"), std::string::npos);
  EXPECT_EQ(*summary, "PutKeyProvider fresh (added, type literal)");
}

TEST(ReplaceConfigTest, KeepsLiteralKeysARedactedConfigLeftOut) {
  config::v1::Config current = ParseYaml(kBaseYaml);
  config::v1::Config next = Redacted(current);
  (*next.mutable_model_providers())["pick"].mutable_model_weights()->insert({"c", 3});
  auto summary = ReplaceConfig(current, next);
  ASSERT_TRUE(summary.ok());
  EXPECT_EQ(current.key_providers().at("lit").key(), "sk-literal-secret-123");
  EXPECT_EQ(current.model_providers().at("pick").model_weights().at("c"), 3);
}

TEST(DeleteTest, MissingNamesAreNotFound) {
  config::v1::Config config = ParseYaml(kBaseYaml);
  EXPECT_EQ(DeleteModelProvider(config, "zzz").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(DeleteKeyProvider(config, "zzz").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(DeleteProcessorChain(config, "zzz").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(DeleteModelProvider(config, "").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(DeleteTest, DeletingAMemberOfARandomProviderFailsValidation) {
  config::v1::Config config = ParseYaml(kBaseYaml);
  ASSERT_TRUE(DeleteModelProvider(config, "b").ok());
  absl::Status valid = ValidateForControlPlane(config);
  ASSERT_EQ(valid.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(valid.message().find("modelProviders.pick.modelWeights.b"), std::string::npos) << valid;
}

TEST(ConfigCheckTest, EnvironmentKeysNeedNotBeSetInTheControlPlane) {
  ASSERT_EQ(std::getenv("SB_UNIT_TEST_UNSET_VARIABLE"), nullptr);
  EXPECT_TRUE(ValidateForControlPlane(ParseYaml(kBaseYaml)).ok());
}

TEST(ConfigCheckTest, ProcessorErrorsFoundByTheSnapshotBuilderAreInvalidArgument) {
  config::v1::Config config = ParseYaml(kBaseYaml);
  config::v1::ProcessorChain chain;
  auto* regex = chain.add_processors();
  regex->set_type("regex");
  regex->set_pattern("(unclosed");
  ASSERT_TRUE(PutProcessorChain(config, "bad", chain).ok());
  absl::Status valid = ValidateForControlPlane(config);
  ASSERT_EQ(valid.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(valid.message().find("processorChains.bad"), std::string::npos) << valid;
}

TEST(ConfigCheckTest, RedactedClearsEveryKeyAndKeepsTheRest) {
  config::v1::Config config = ParseYaml(kBaseYaml);
  config::v1::Config redacted = Redacted(config);
  std::string text = redacted.DebugString();
  EXPECT_EQ(text.find("sk-literal-secret-123"), std::string::npos);
  EXPECT_EQ(redacted.key_providers().at("lit").type(), "literal");
  EXPECT_EQ(redacted.key_providers().at("lit").model_targets(0), "^up");
  EXPECT_EQ(redacted.key_providers().at("env").env_var(), "SB_UNIT_TEST_UNSET_VARIABLE");
  EXPECT_EQ(redacted.model_providers_size(), config.model_providers_size());
}

TEST(ConfigCheckTest, Summarize) {
  EXPECT_EQ(Summarize(ParseYaml(kBaseYaml)), "5 model providers, 2 key providers, 0 processor chains");
}

}  // namespace
}  // namespace switchboard::controlplane
