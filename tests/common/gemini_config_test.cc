// The gemini model provider's own keys (systemInstruction, safetySettings,
// thinkingBudget, includeThoughts): the forms a file may use, what they load
// into, and the exact errors a user sees.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "common/config/load.h"
#include "common/config/validate.h"
#include "tests/common/config_test_util.h"

namespace switchboard::config {
namespace {

using testing::LoadError;

// Lines 1-4; the cases below add keys from line 5 on.
constexpr std::string_view kGemini = R"(modelProviders:
  gem:
    type: gemini
    modelName: gemini-2.5-flash
)";

std::string WithGemini(std::string_view rest) { return std::string(kGemini) + std::string(rest); }

v1::ModelProvider LoadGemini(std::string_view rest) {
  auto loaded = ParseConfigText(WithGemini(rest), "test.yaml");
  EXPECT_TRUE(loaded.ok()) << loaded.status();
  if (!loaded.ok()) return {};
  return loaded->config.model_providers().at("gem");
}

std::map<std::string, std::string> Safety(const v1::ModelProvider& mp) {
  return {mp.safety_settings().begin(), mp.safety_settings().end()};
}

TEST(GeminiConfigTest, UnsetByDefault) {
  v1::ModelProvider mp = LoadGemini("");
  EXPECT_FALSE(mp.has_system_instruction());
  EXPECT_TRUE(mp.safety_settings().empty());
  EXPECT_FALSE(mp.has_thinking_budget());
  EXPECT_FALSE(mp.has_include_thoughts());
}

TEST(GeminiConfigTest, AllKeys) {
  v1::ModelProvider mp = LoadGemini(
      "    systemInstruction: false\n"
      "    safetySettings: {HARM_CATEGORY_HARASSMENT: BLOCK_ONLY_HIGH, HARM_CATEGORY_CIVIC_INTEGRITY: BLOCK_NONE}\n"
      "    thinkingBudget: 2048\n"
      "    includeThoughts: false\n");
  ASSERT_TRUE(mp.has_system_instruction());
  EXPECT_FALSE(mp.system_instruction());
  std::map<std::string, std::string> expected{{"HARM_CATEGORY_HARASSMENT", "BLOCK_ONLY_HIGH"},
                                              {"HARM_CATEGORY_CIVIC_INTEGRITY", "BLOCK_NONE"}};
  EXPECT_EQ(Safety(mp), expected);
  EXPECT_EQ(mp.thinking_budget(), 2048);
  ASSERT_TRUE(mp.has_include_thoughts());
  EXPECT_FALSE(mp.include_thoughts());
}

TEST(GeminiConfigTest, SnakeCaseAndDynamicBudget) {
  v1::ModelProvider mp = LoadGemini("    system_instruction: true\n    thinking_budget: -1\n    include_thoughts: true\n");
  EXPECT_TRUE(mp.system_instruction());
  EXPECT_EQ(mp.thinking_budget(), -1);
  EXPECT_TRUE(mp.include_thoughts());
}

TEST(GeminiConfigTest, OneThresholdForEveryCategory) {
  v1::ModelProvider mp = LoadGemini("    safetySettings: BLOCK_NONE\n");
  std::map<std::string, std::string> expected;
  for (std::string_view category : kGeminiHarmCategories) expected[std::string(category)] = "BLOCK_NONE";
  EXPECT_EQ(Safety(mp), expected);
  EXPECT_EQ(expected.size(), 5u);
}

TEST(GeminiConfigTest, GeminisOwnListForm) {
  v1::ModelProvider mp = LoadGemini(
      "    safetySettings:\n"
      "      - {category: HARM_CATEGORY_HATE_SPEECH, threshold: BLOCK_LOW_AND_ABOVE}\n"
      "      - category: HARM_CATEGORY_DANGEROUS_CONTENT\n"
      "        threshold: BLOCK_MEDIUM_AND_ABOVE\n");
  std::map<std::string, std::string> expected{{"HARM_CATEGORY_HATE_SPEECH", "BLOCK_LOW_AND_ABOVE"},
                                              {"HARM_CATEGORY_DANGEROUS_CONTENT", "BLOCK_MEDIUM_AND_ABOVE"}};
  EXPECT_EQ(Safety(mp), expected);
}

TEST(GeminiConfigTest, UnknownCategoryAndThreshold) {
  EXPECT_EQ(LoadError(WithGemini("    safetySettings:\n      HARM_CATEGORY_X: OFF\n")),
            "test.yaml:6: modelProviders.gem.safetySettings.HARM_CATEGORY_X: unknown harm category "
            "'HARM_CATEGORY_X' (expected one of: HARM_CATEGORY_HARASSMENT, HARM_CATEGORY_HATE_SPEECH, "
            "HARM_CATEGORY_SEXUALLY_EXPLICIT, HARM_CATEGORY_DANGEROUS_CONTENT, HARM_CATEGORY_CIVIC_INTEGRITY)");
  EXPECT_EQ(LoadError(WithGemini("    safetySettings:\n      HARM_CATEGORY_HARASMENT: OFF\n")),
            "test.yaml:6: modelProviders.gem.safetySettings.HARM_CATEGORY_HARASMENT: unknown harm category "
            "'HARM_CATEGORY_HARASMENT' (did you mean 'HARM_CATEGORY_HARASSMENT'?)");
  EXPECT_EQ(LoadError(WithGemini("    safetySettings:\n      HARM_CATEGORY_HARASSMENT: BLOCK_NON\n")),
            "test.yaml:6: modelProviders.gem.safetySettings.HARM_CATEGORY_HARASSMENT: unknown threshold "
            "'BLOCK_NON' (did you mean 'BLOCK_NONE'?)");
  EXPECT_EQ(LoadError(WithGemini("    safetySettings: NONE\n")),
            "test.yaml:5: modelProviders.gem.safetySettings: unknown threshold 'NONE' (expected one of: OFF, "
            "BLOCK_NONE, BLOCK_ONLY_HIGH, BLOCK_MEDIUM_AND_ABOVE, BLOCK_LOW_AND_ABOVE)");
  // In the list form the error still points at the item's line.
  EXPECT_EQ(LoadError(WithGemini("    safetySettings:\n      - {category: HARM_CATEGORY_HATE_SPEECH, threshold: OFF}\n"
                                 "      - {category: HARM_CATEGORY_CIVIC_INTEGRETY, threshold: OFF}\n")),
            "test.yaml:7: modelProviders.gem.safetySettings.HARM_CATEGORY_CIVIC_INTEGRETY: unknown harm category "
            "'HARM_CATEGORY_CIVIC_INTEGRETY' (did you mean 'HARM_CATEGORY_CIVIC_INTEGRITY'?)");
}

TEST(GeminiConfigTest, BadShapes) {
  EXPECT_EQ(LoadError(WithGemini("    safetySettings: 3\n")),
            "test.yaml:5: modelProviders.gem.safetySettings: expected a threshold, a mapping of harm category to "
            "threshold, or a list of {category, threshold}");
  EXPECT_EQ(LoadError(WithGemini("    safetySettings: {HARM_CATEGORY_HARASSMENT: [OFF]}\n")),
            "test.yaml:5: modelProviders.gem.safetySettings.HARM_CATEGORY_HARASSMENT: expected a threshold (a "
            "string such as OFF)");
  EXPECT_EQ(LoadError(WithGemini("    safetySettings:\n      - {category: HARM_CATEGORY_HATE_SPEECH}\n")),
            "test.yaml:6: modelProviders.gem.safetySettings[0].threshold: required");
  EXPECT_EQ(LoadError(WithGemini("    safetySettings:\n      - {category: HARM_CATEGORY_HATE_SPEECH, threshold: OFF, "
                                 "probability: LOW}\n")),
            "test.yaml:6: modelProviders.gem.safetySettings[0].probability: unknown key 'probability' (known keys: "
            "category, threshold)");
  EXPECT_EQ(LoadError(WithGemini("    safetySettings:\n      - {category: HARM_CATEGORY_HATE_SPEECH, threshold: OFF}\n"
                                 "      - {category: HARM_CATEGORY_HATE_SPEECH, threshold: BLOCK_NONE}\n")),
            "test.yaml:7: modelProviders.gem.safetySettings[1].category: 'HARM_CATEGORY_HATE_SPEECH' is listed twice");
  EXPECT_EQ(LoadError(WithGemini("    systemInstruction: no-thanks\n")),
            "test.yaml:5: modelProviders.gem.systemInstruction: expected true or false");
  EXPECT_EQ(LoadError(WithGemini("    includeThoughts: 1\n")),
            "test.yaml:5: modelProviders.gem.includeThoughts: expected true or false");
  EXPECT_EQ(LoadError(WithGemini("    thinkingBudget: -2\n")),
            "test.yaml:5: modelProviders.gem.thinkingBudget: must be between -1 and 2147483647 (got -2)");
  EXPECT_EQ(LoadError(WithGemini("    thinkingBudget: 1.5\n")),
            "test.yaml:5: modelProviders.gem.thinkingBudget: expected an integer");
}

TEST(GeminiConfigTest, OnlyForGemini) {
  EXPECT_EQ(LoadError("modelProviders:\n  up:\n    type: genericoai\n    modelName: m\n    systemInstruction: false\n"),
            "test.yaml:5: modelProviders.up.systemInstruction: only for type 'gemini' (this provider's type is "
            "'genericoai')");
  EXPECT_EQ(LoadError("modelProviders:\n  r:\n    type: openrouter\n    modelName: m\n    safetySettings: OFF\n"),
            "test.yaml:5: modelProviders.r.safetySettings: only for type 'gemini' (this provider's type is "
            "'openrouter')");
  EXPECT_EQ(LoadError("modelProviders:\n  t:\n    type: trivial\n    thinkingBudget: 0\n"),
            "test.yaml:4: modelProviders.t.thinkingBudget: only for type 'gemini' (this provider's type is 'trivial')");
  EXPECT_EQ(LoadError("modelProviders:\n  t:\n    type: trivial\n    includeThoughts: true\n"),
            "test.yaml:4: modelProviders.t.includeThoughts: only for type 'gemini' (this provider's type is 'trivial')");
}

TEST(GeminiConfigTest, UnknownKeysKnowTheNewOnes) {
  EXPECT_EQ(LoadError(WithGemini("    safetySetings: OFF\n")),
            "test.yaml:5: modelProviders.gem.safetySetings: unknown key 'safetySetings' (did you mean "
            "'safetySettings'?)");
  EXPECT_EQ(LoadError(WithGemini("    thinkingbudget: 10\n")),
            "test.yaml:5: modelProviders.gem.thinkingbudget: unknown key 'thinkingbudget' (did you mean "
            "'thinkingBudget'?)");
  EXPECT_EQ(LoadError(WithGemini("    includeThought: true\n")),
            "test.yaml:5: modelProviders.gem.includeThought: unknown key 'includeThought' (did you mean "
            "'includeThoughts'?)");
  EXPECT_EQ(LoadError(WithGemini("    systemInstructions: false\n")),
            "test.yaml:5: modelProviders.gem.systemInstructions: unknown key 'systemInstructions' (did you mean "
            "'systemInstruction'?)");
}

// The admin API and pushed snapshots skip the file decoder: validation alone
// must catch what the decoder would.
TEST(GeminiConfigTest, ValidationOfProtoConfigs) {
  v1::Config config;
  v1::ModelProvider& gem = (*config.mutable_model_providers())["gem"];
  gem.set_type("gemini");
  gem.set_model_name("gemini-2.5-pro");
  (*gem.mutable_safety_settings())["HARM_CATEGORY_SEXUALLY_EXPLICIT"] = "BLOCK_NONE";
  gem.set_thinking_budget(128);
  EXPECT_TRUE(ValidateConfig(config).ok());
  gem.set_thinking_budget(-5);
  EXPECT_EQ(ValidateConfig(config).message(),
            "modelProviders.gem.thinkingBudget: must be -1 (the model decides), 0 (no thinking) or a token count "
            "(got -5)");
  gem.clear_thinking_budget();
  (*gem.mutable_safety_settings())["HARM_CATEGORY_SEXUALLY_EXPLICIT"] = "off";
  EXPECT_EQ(ValidateConfig(config).message(),
            "modelProviders.gem.safetySettings.HARM_CATEGORY_SEXUALLY_EXPLICIT: unknown threshold 'off' (did you "
            "mean 'OFF'?)");
}

}  // namespace
}  // namespace switchboard::config
