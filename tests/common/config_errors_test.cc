// Every kind of invalid config, with the exact message a user sees: file, line,
// path, what is wrong.
#include <gtest/gtest.h>

#include <string>

#include "common/config/load.h"
#include "tests/common/config_test_util.h"

namespace switchboard::config {
namespace {

using testing::LoadError;

// A valid base the cases below extend; lines 1-6.
constexpr std::string_view kBase = R"(modelProviders:
  furbo:
    type: genericoai
    modelName: gpt-4
  mistral:
    type: openrouter
)";

std::string WithBase(std::string_view rest) { return std::string(kBase) + "    modelName: m\n" + std::string(rest); }

TEST(ConfigErrorsTest, BaseLoads) { EXPECT_EQ(LoadError(WithBase("")), ""); }

TEST(ConfigErrorsTest, UnknownTypes) {
  EXPECT_EQ(
      LoadError("modelProviders:\n  x:\n    type: genericoal\n    modelName: m\n"),
      "test.yaml:3: modelProviders.x.type: unknown model provider type 'genericoal' (did you mean 'genericoai'?)");
  EXPECT_EQ(LoadError("modelProviders:\n  x:\n    type: claude\n"),
            "test.yaml:3: modelProviders.x.type: unknown model provider type 'claude' (expected one of: genericoai, "
            "openrouter, gemini, random, trivial)");
  EXPECT_EQ(LoadError("keyProviders:\n  k:\n    type: file\n    modelTargets: [x]\n"),
            "test.yaml:3: keyProviders.k.type: unknown key provider type 'file' (expected one of: literal, "
            "environment)");
  EXPECT_EQ(LoadError("processorChains:\n  c:\n    - type: nosys\n    - type: upper\n"),
            "test.yaml:4: processorChains.c[1].type: unknown processor type 'upper' (expected one of: nodanglingsys, "
            "nosys, overridesamplers, regex, random, noass, squash, insertmessage, chain)");
  // A misspelt type is reported as such, not as unknown keys of the processor.
  EXPECT_EQ(LoadError("processorChains:\n  c:\n    - type: overidesamplers\n      temperature: 1\n"),
            "test.yaml:3: processorChains.c[0].type: unknown processor type 'overidesamplers' (did you mean "
            "'overridesamplers'?)");
}

TEST(ConfigErrorsTest, UnknownProcessorTypeDeepInside) {
  std::string text = R"(processorChains:
  x:
    - type: random
      processorList:
        - type: nosys
        - type: chain
          processors:
            - type: noass
              role: user
            - type: bogus
  c:
    - type: random
      processorWeights:
        - weight: 1
          config: {type: nosys}
        - weight: 2
          config:
            type: whatever
)";
  // Chains are checked in sorted order: c before x.
  EXPECT_EQ(LoadError(text),
            "test.yaml:18: processorChains.c[0].processorWeights[1].config.type: unknown processor "
            "type 'whatever' (expected one of: nodanglingsys, nosys, overridesamplers, regex, random, "
            "noass, squash, insertmessage, chain)");
  text.replace(text.find("whatever"), 8, "nosys");
  EXPECT_EQ(LoadError(text),
            "test.yaml:10: processorChains.x[0].processorList[1].processors[1].type: unknown processor type 'bogus' "
            "(expected one of: nodanglingsys, nosys, overridesamplers, regex, random, noass, squash, insertmessage, "
            "chain)");
}

TEST(ConfigErrorsTest, MissingRequiredFields) {
  EXPECT_EQ(LoadError("modelProviders:\n  x:\n    modelName: m\n"),
            "test.yaml:2: modelProviders.x.type: required (one of: genericoai, openrouter, gemini, random, trivial)");
  EXPECT_EQ(LoadError("modelProviders:\n  x:\n    type: gemini\n"),
            "test.yaml:2: modelProviders.x.modelName: required when type is 'gemini'");
  EXPECT_EQ(LoadError("keyProviders:\n  k:\n    type: environment\n    modelTargets: [x]\n"),
            "test.yaml:2: keyProviders.k.envVar: required when type is 'environment'");
  EXPECT_EQ(LoadError("keyProviders:\n  k:\n    type: literal\n    key: sk\n"),
            "test.yaml:2: keyProviders.k.modelTargets: required: a list of regexes choosing the model providers "
            "that use this key");
  EXPECT_EQ(LoadError(WithBase("  r:\n    type: random\n")),
            "test.yaml:8: modelProviders.r: a random provider needs modelList or modelWeights");
  EXPECT_EQ(LoadError("processorChains:\n  c:\n    - type: random\n"),
            "test.yaml:3: processorChains.c[0]: a random processor needs processorList or processorWeights");
  EXPECT_EQ(LoadError("processorChains:\n  c:\n    - type: random\n      processorWeights:\n        - weight: 1\n"),
            "test.yaml:5: processorChains.c[0].processorWeights[0].config: required");
}

TEST(ConfigErrorsTest, BadRegexes) {
  EXPECT_EQ(LoadError("keyProviders:\n  k:\n    type: literal\n    key: sk\n    modelTargets:\n      - ok\n"
                      "      - \"gpt(\"\n"),
            "test.yaml:7: keyProviders.k.modelTargets[1]: RE2 cannot compile 'gpt(': missing ): gpt(");
  // Valid in JavaScript, which FireRouter used, but not in RE2.
  EXPECT_EQ(LoadError("keyProviders:\n  k:\n    type: literal\n    key: sk\n    modelTargets: ['(a)\\1']\n"),
            "test.yaml:5: keyProviders.k.modelTargets[0]: RE2 cannot compile '(a)\\1': invalid escape sequence: \\1");
}

TEST(ConfigErrorsTest, RandomMembers) {
  EXPECT_EQ(LoadError(WithBase("  r:\n    type: random\n    modelList: [furbo, mistrall]\n")),
            "test.yaml:10: modelProviders.r.modelList[1]: unknown model provider 'mistrall' (did you mean 'mistral'?)");
  EXPECT_EQ(LoadError(WithBase("  r:\n    type: random\n    modelWeights:\n      furbo: 1\n      gpt-5: 2\n")),
            "test.yaml:12: modelProviders.r.modelWeights.gpt-5: unknown model provider 'gpt-5'");
  // modelWeights wins over modelList: the list is not looked at.
  EXPECT_EQ(LoadError(WithBase("  r:\n    type: random\n    modelList: [nope]\n    modelWeights: {furbo: 1}\n")), "");
}

TEST(ConfigErrorsTest, RandomCycles) {
  std::string text = R"(modelProviders:
  a:
    type: random
    modelList: [furbo, b]
  b:
    type: random
    modelWeights: {c: 1}
  c:
    type: random
    modelList: [a]
  furbo:
    type: trivial
)";
  EXPECT_EQ(LoadError(text),
            "test.yaml:4: modelProviders.a.modelList[1]: random providers form a cycle: a -> b -> c -> a");
  EXPECT_EQ(LoadError("modelProviders:\n  self:\n    type: random\n    modelList:\n      - self\n"),
            "test.yaml:5: modelProviders.self.modelList[0]: random providers form a cycle: self -> self");
  // Random over random without a cycle is fine.
  EXPECT_EQ(LoadError(WithBase("  r1:\n    type: random\n    modelList: [furbo]\n"
                               "  r2:\n    type: random\n    modelList: [r1, r1, mistral]\n")),
            "");
}

TEST(ConfigErrorsTest, Weights) {
  auto weights = [](std::string_view value) {
    return LoadError(WithBase("  r:\n    type: random\n    modelWeights:\n      furbo: " + std::string(value) + "\n"));
  };
  EXPECT_EQ(weights("0"),
            "test.yaml:11: modelProviders.r.modelWeights.furbo: weight must be a finite number > 0 (got 0)");
  EXPECT_EQ(weights("-1.5"),
            "test.yaml:11: modelProviders.r.modelWeights.furbo: weight must be a finite number > 0 (got -1.5)");
  EXPECT_EQ(weights(".inf"),
            "test.yaml:11: modelProviders.r.modelWeights.furbo: weight must be a finite number > 0 (got inf)");
  EXPECT_EQ(weights("heavy"), "test.yaml:11: modelProviders.r.modelWeights.furbo: expected a number");
  EXPECT_EQ(weights("\"2\""), "test.yaml:11: modelProviders.r.modelWeights.furbo: expected a number");
  EXPECT_EQ(weights(".5"), "");
  EXPECT_EQ(weights("1e3"), "");
  EXPECT_EQ(LoadError("processorChains:\n  c:\n    - type: random\n      processorWeights:\n"
                      "        - weight: 0\n          config: {type: nosys}\n"),
            "test.yaml:5: processorChains.c[0].processorWeights[0].weight: weight must be a finite number > 0 (got 0)");
}

TEST(ConfigErrorsTest, UnknownChain) {
  EXPECT_EQ(LoadError("modelProviders:\n  t:\n    type: trivial\n    processorChain: strict-chta\n"
                      "processorChains:\n  strict-chat: []\n"),
            "test.yaml:4: modelProviders.t.processorChain: unknown processor chain 'strict-chta' (did you mean "
            "'strict-chat'?)");
}

TEST(ConfigErrorsTest, WrongValueTypes) {
  EXPECT_EQ(LoadError("modelProviders:\n  t:\n    type: openrouter\n    modelName: 4\n"),
            "test.yaml:4: modelProviders.t.modelName: expected a string");
  EXPECT_EQ(LoadError("keyProviders:\n  k:\n    type: literal\n    key: sk\n    modelTargets: \"^gpt\"\n"),
            "test.yaml:5: keyProviders.k.modelTargets: expected a list of strings");
  EXPECT_EQ(LoadError("keyProviders:\n  k:\n    type: literal\n    key: sk\n    modelTargets:\n      - 1\n"),
            "test.yaml:6: keyProviders.k.modelTargets[0]: expected a string");
  EXPECT_EQ(LoadError("modelProviders:\n  t:\n    type: trivial\n    chunkDelayMs: fast\n"),
            "test.yaml:4: modelProviders.t.chunkDelayMs: expected a number");
  EXPECT_EQ(LoadError("modelProviders: [a, b]\n"), "test.yaml:1: modelProviders: expected a mapping");
  EXPECT_EQ(LoadError("modelProviders:\n  t: trivial\n"), "test.yaml:2: modelProviders.t: expected a mapping");
  EXPECT_EQ(LoadError("processorChains:\n  c: nosys\n"),
            "test.yaml:2: processorChains.c: expected a list of processors");
  EXPECT_EQ(LoadError("processorChains:\n  c:\n    - type: insertmessage\n      position: 1.5\n"),
            "test.yaml:4: processorChains.c[0].position: expected an integer");
  EXPECT_EQ(LoadError("processorChains:\n  c:\n    - type: squash\n      roles: user\n"),
            "test.yaml:4: processorChains.c[0].roles: expected a list of strings");
  EXPECT_EQ(LoadError("port: 70000\n"), "test.yaml:1: port: must be between 0 and 65535 (got 70000)");
  EXPECT_EQ(LoadError("port: -1\n"), "test.yaml:1: port: must be between 0 and 65535 (got -1)");
  EXPECT_EQ(LoadError("port: 3000.5\n"), "test.yaml:1: port: expected an integer");
  EXPECT_EQ(LoadError("server:\n  bodyLimitBytes: 0\n"), "test.yaml:2: server.bodyLimitBytes: must be > 0");
  EXPECT_EQ(LoadError("upstream:\n  connectTimeoutSeconds: -2\n"),
            "test.yaml:2: upstream.connectTimeoutSeconds: must be a finite number > 0 (got -2)");
  EXPECT_EQ(LoadError("modelProviders:\n  t:\n    type: genericoai\n    modelName: m\n    url: ftp://x\n"),
            "test.yaml:5: modelProviders.t.url: must start with http:// or https:// (got 'ftp://x')");
  EXPECT_EQ(LoadError("[1, 2]\n"),
            "test.yaml: expected a mapping at the top level (port, keyProviders, "
            "modelProviders, ...)");
  EXPECT_EQ(LoadError(""),
            "test.yaml: the config is empty (expected keys such as port, keyProviders, "
            "modelProviders)");
}

TEST(ConfigErrorsTest, UnknownKeys) {
  EXPECT_EQ(LoadError("modelProviders:\n  t:\n    type: openrouter\n    modelname: m\n"),
            "test.yaml:4: modelProviders.t.modelname: unknown key 'modelname' (did you mean 'modelName'?)");
  EXPECT_EQ(LoadError("modelProviders:\n  t:\n    type: trivial\n    outputs: x\n"),
            "test.yaml:4: modelProviders.t.outputs: unknown key 'outputs' (did you mean 'output'?)");
  EXPECT_EQ(LoadError("modelproviders: {}\n"),
            "test.yaml:1: modelproviders: unknown key 'modelproviders' (did you mean 'modelProviders'?)");
  EXPECT_EQ(LoadError("processorChains:\n  c:\n    - type: nosys\n      zzz: 1\n"),
            "test.yaml:4: processorChains.c[0].zzz: unknown key 'zzz' (known keys: type, pattern, flags, "
            "replacement, processorList, processorWeights, role, squashString, roles, content, position, processors)");
  EXPECT_EQ(LoadError("modelProviders:\n  t:\n    type: trivial\n    model_name: a\n    modelName: b\n"),
            "test.yaml:4: modelProviders.t.model_name: 'model_name' and 'modelName' are the same key; keep one");
  EXPECT_EQ(LoadError("retry: {attempts: 2}\nclientKeys: {me: {envVar: X, requestsPerMinute: 60}}\n"), "");
  EXPECT_EQ(LoadError("clientKeys: {me: {envVar: X, file: /y}}\n"),
            "test.yaml:1: clientKeys.me: set exactly one of key, envVar, file");
  EXPECT_EQ(LoadError("retry: {attempts: 0}\n"), "test.yaml:1: retry.attempts: must be between 1 and 10 (got 0)");
  // The client-facing sections are checked like any other.
  EXPECT_EQ(LoadError("clientProfiles: {janitorai: {}}\nlogging: {requests: false}\ncors: {allowedOrigins: [\"*\"]}\n"), "");
  EXPECT_EQ(LoadError("clientProfiles:\n  janitorai:\n    prefil: x\n"),
            "test.yaml:3: clientProfiles.janitorai.prefil: unknown key 'prefil' (did you mean 'prefill'?)");
  EXPECT_EQ(LoadError("logging: true\n"), "test.yaml:1: logging: expected a mapping");
}

TEST(ConfigErrorsTest, Samplers) {
  std::string text = R"(processorChains:
  strict-chat:
    - type: nosys
    - type: overridesamplers
      temperature: 0
      top_p: 1
      topK: "unset"
      minP: unset
)";
  auto loaded = ParseConfigText(text, "test.yaml");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  const auto& samplers = loaded->config.processor_chains().at("strict-chat").processors(1).samplers();
  ASSERT_EQ(samplers.size(), 4u);
  EXPECT_TRUE(samplers.at("temperature").has_number());  // 0 is a value, not "absent"
  EXPECT_EQ(samplers.at("temperature").number(), 0.0);
  EXPECT_EQ(samplers.at("top_p").number(), 1.0);  // kept as written
  EXPECT_TRUE(samplers.at("topK").unset());
  EXPECT_TRUE(samplers.at("minP").unset());

  EXPECT_EQ(LoadError("processorChains:\n  strict-chat:\n    - type: nosys\n    - type: overridesamplers\n"
                      "      topK: none\n"),
            "test.yaml:5: processorChains.strict-chat[1].topK: expected a number or \"unset\"");
  EXPECT_EQ(LoadError("processorChains:\n  c:\n    - type: overridesamplers\n      temperature: true\n"),
            "test.yaml:4: processorChains.c[0].temperature: expected a number or \"unset\"");
  EXPECT_EQ(LoadError("processorChains:\n  c:\n    - type: overridesamplers\n      temperature:\n"),
            "test.yaml:4: processorChains.c[0].temperature: expected a number or \"unset\"");
}

}  // namespace
}  // namespace switchboard::config
