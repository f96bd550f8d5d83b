// The YAML layer (scalar typing, lines, duplicates, syntax errors), spellings
// the loader accepts (snake_case, {processors: [...]}), and AnnotateWithSource.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/config/load.h"
#include "common/config/yaml_tree.h"
#include "tests/common/config_test_util.h"

namespace switchboard::config {
namespace {

using testing::LoadError;

Json TreeOf(std::string_view text) {
  auto tree = YamlToTree(text, "t.yaml");
  EXPECT_TRUE(tree.ok()) << tree.status();
  return tree.ok() ? tree->root : Json();
}

TEST(ConfigYamlTest, PlainScalarsFollowTheCoreSchema) {
  Json t = TreeOf(R"(a: ~
b: null
c:
d: true
e: False
f: 42
g: -7
h: 0x1F
i: 0o17
j: .5
k: 1e3
l: -.inf
m: .nan
n: 3000
o: yes
p: 1.2.3
q: 12345678901234567890123
)");
  EXPECT_TRUE(t["a"].is_null());
  EXPECT_TRUE(t["b"].is_null());
  EXPECT_TRUE(t["c"].is_null());
  EXPECT_EQ(t["d"], true);
  EXPECT_EQ(t["e"], false);
  EXPECT_TRUE(t["f"].is_number_integer());
  EXPECT_EQ(t["f"], 42);
  EXPECT_EQ(t["g"], -7);
  EXPECT_EQ(t["h"], 31);
  EXPECT_EQ(t["i"], 15);
  EXPECT_TRUE(t["j"].is_number_float());
  EXPECT_EQ(t["j"], 0.5);
  EXPECT_EQ(t["k"], 1000.0);
  EXPECT_TRUE(std::isinf(t["l"].get<double>()) && t["l"].get<double>() < 0);
  EXPECT_TRUE(std::isnan(t["m"].get<double>()));
  EXPECT_EQ(t["n"], 3000);
  EXPECT_EQ(t["o"], "yes");  // YAML 1.1's booleans are strings in 1.2
  EXPECT_EQ(t["p"], "1.2.3");
  EXPECT_TRUE(t["q"].is_number_float());
}

TEST(ConfigYamlTest, QuotedAndBlockScalarsAreStrings) {
  Json t = TreeOf("a: \"3000\"\nb: 'true'\nc: |\n  text\nd: !!str 5\ne: \"\"\nf: \"null\"\n");
  EXPECT_EQ(t["a"], "3000");
  EXPECT_EQ(t["b"], "true");
  EXPECT_EQ(t["c"], "text\n");
  EXPECT_EQ(t["d"], "5");
  EXPECT_EQ(t["e"], "");
  EXPECT_EQ(t["f"], "null");
}

TEST(ConfigYamlTest, JsonIsYaml) {
  Json t = TreeOf(R"({"a": [1, 2.5, "x", true, null], "b": {"c": "d"}})");
  EXPECT_EQ(t["a"][0], 1);
  EXPECT_EQ(t["a"][1], 2.5);
  EXPECT_EQ(t["a"][2], "x");
  EXPECT_EQ(t["a"][3], true);
  EXPECT_TRUE(t["a"][4].is_null());
  EXPECT_EQ(t["b"]["c"], "d");
}

TEST(ConfigYamlTest, LinesOfEveryPath) {
  auto tree = YamlToTree("a:\n  b:\n    - x\n    - c: 1\n      d: 2\n", "t.yaml");
  ASSERT_TRUE(tree.ok()) << tree.status();
  const SourceMap& m = tree->source_map;
  EXPECT_EQ(m.at("a"), 1);
  EXPECT_EQ(m.at("a.b"), 2);
  EXPECT_EQ(m.at("a.b[0]"), 3);
  EXPECT_EQ(m.at("a.b[1]"), 4);
  EXPECT_EQ(m.at("a.b[1].c"), 4);
  EXPECT_EQ(m.at("a.b[1].d"), 5);
}

TEST(ConfigYamlTest, DuplicateKeys) {
  EXPECT_EQ(LoadError("modelProviders:\n  t:\n    type: trivial\n  t:\n    type: trivial\n"),
            "test.yaml:4: modelProviders.t: duplicate key 't' (first at line 2)");
  EXPECT_EQ(LoadError("port: 1\nport: 2\n"), "test.yaml:2: port: duplicate key 'port' (first at line 1)");
  EXPECT_EQ(LoadError(R"({"port": 1, "port": 2})"), "test.yaml:1: port: duplicate key 'port' (first at line 1)");
}

TEST(ConfigYamlTest, SyntaxErrors) {
  EXPECT_EQ(LoadError("modelProviders:\n  t: [trivial\nport: 3\n"),
            "test.yaml:3: YAML syntax error: end of sequence flow not found");
  EXPECT_EQ(LoadError("modelProviders:\n\tt: 1\n"), "test.yaml:2: YAML syntax error: illegal map value");
  EXPECT_EQ(LoadError("{\"port\": 3000,\n \"keyProviders\": {}\n"),
            "test.yaml:3: YAML syntax error: end of map flow not found");
  // YAML allows a trailing comma in a flow mapping, so this JSON mistake loads.
  EXPECT_EQ(LoadError(R"({"port": 3000,})"), "");
  EXPECT_EQ(LoadError("port: 1\n---\nport: 2\n"),
            "test.yaml:2: expected one YAML document, found more (a '---' line, or text after the first document)");
  // yaml-cpp 0.7's LoadAll loops forever on this one; we must not.
  EXPECT_EQ(LoadError("[],"),
            "test.yaml:1: expected one YAML document, found more (a '---' line, or text after the first document)");
  EXPECT_NE(LoadError(std::string(100000, '[')).find("YAML syntax error"), std::string::npos);
  EXPECT_EQ(LoadError("port: !secret x\n"), "test.yaml:1: port: unsupported YAML tag '!secret'");
}

TEST(ConfigYamlTest, MergeKeys) {
  std::string text = R"(modelProviders:
  base: &or
    type: openrouter
    modelName: openai/gpt-4.1
  warm:
    <<: *or
    processorChain: warm
processorChains:
  warm:
    - {type: overridesamplers, temperature: 1.2}
)";
  auto loaded = ParseConfigText(text, "test.yaml");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  const auto& warm = loaded->config.model_providers().at("warm");
  EXPECT_EQ(warm.type(), "openrouter");
  EXPECT_EQ(warm.model_name(), "openai/gpt-4.1");
  EXPECT_EQ(warm.processor_chain(), "warm");
  EXPECT_EQ(LoadError("a:\n  <<: 5\n"), "test.yaml:2: a: a merge key '<<' needs a mapping or a list of mappings");
}

TEST(ConfigYamlTest, DeepNestingIsAnError) {
  std::string text = "a: " + std::string(100, '[') + std::string(100, ']') + "\n";
  auto tree = YamlToTree(text, "t.yaml");
  ASSERT_FALSE(tree.ok());
  EXPECT_NE(tree.status().message().find("nested more than 64 levels deep"), std::string::npos) << tree.status();
}

TEST(ConfigYamlTest, AliasBombIsBounded) {
  std::string text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 9; ++i) {
    // a<i>: &a<i> [*a<i-1>, ... ten times]: 10^9 values once expanded.
    std::string prev = absl::StrCat("*a", i - 1);
    absl::StrAppend(&text, "a", i, ": &a", i, " [", prev);
    for (int j = 1; j < 10; ++j) absl::StrAppend(&text, ", ", prev);
    text += "]\n";
  }
  auto tree = YamlToTree(text, "t.yaml");
  ASSERT_FALSE(tree.ok());
  EXPECT_NE(tree.status().message().find("more than 1000000 values (after expanding aliases)"), std::string::npos)
      << tree.status();
}

TEST(ConfigSpellingTest, SnakeCaseKeys) {
  std::string text = R"(key_providers:
  k:
    type: environment
    env_var: MY_KEY
    model_targets: ["(a"]
)";
  // The canonical path finds the line of the snake_case key.
  EXPECT_EQ(LoadError(text), "test.yaml:5: keyProviders.k.modelTargets[0]: RE2 cannot compile '(a': missing ): (a");
  text = R"(model_providers:
  t:
    type: openrouter
    model_name: m
    processor_chain: c
  r:
    type: random
    model_list: [t]
    model_weights: {t: 2}
processor_chains:
  c:
    - type: squash
      squash_string: "\n"
      roles: [user]
    - type: random
      processor_list: [{type: nosys}]
      processor_weights: [{weight: 1, config: {type: noass, role: user}}]
server:
  body_limit_bytes: 1000
  shutdown_grace_seconds: 1.5
upstream:
  first_byte_timeout_seconds: 60
)";
  auto loaded = ParseConfigText(text, "test.yaml");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  const Config& c = loaded->config;
  EXPECT_EQ(c.model_providers().at("t").model_name(), "m");
  EXPECT_EQ(c.model_providers().at("t").processor_chain(), "c");
  EXPECT_EQ(c.model_providers().at("r").model_list(0), "t");
  EXPECT_EQ(c.model_providers().at("r").model_weights().at("t"), 2.0);
  const auto& chain = c.processor_chains().at("c");
  EXPECT_EQ(chain.processors(0).squash_string(), "\n");
  EXPECT_EQ(chain.processors(1).processor_list(0).type(), "nosys");
  EXPECT_EQ(chain.processors(1).processor_weights(0).config().role(), "user");
  EXPECT_EQ(c.server().body_limit_bytes(), 1000u);
  EXPECT_EQ(c.server().shutdown_grace_seconds(), 1.5);
  EXPECT_EQ(c.upstream().first_byte_timeout_seconds(), 60.0);
  EXPECT_EQ(loaded->source_map.at("modelProviders.r.modelWeights.t"), 9);
}

TEST(ConfigSpellingTest, ChainAsObject) {
  std::string text = R"(processorChains:
  c:
    processors:
      - type: regex
        pattern: "a+"
        flags: gi
        replacement: b
      - type: insertmessage
        role: system
        content: hi
        position: -2
      - type: nope
)";
  EXPECT_EQ(LoadError(text),
            "test.yaml:12: processorChains.c[2].type: unknown processor type 'nope' (expected one of: nodanglingsys, "
            "nosys, overridesamplers, regex, random, noass, squash, insertmessage, chain)");
  text.resize(text.find("      - type: nope"));
  auto loaded = ParseConfigText(text, "test.yaml");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  const auto& chain = loaded->config.processor_chains().at("c");
  ASSERT_EQ(chain.processors_size(), 2);
  EXPECT_EQ(chain.processors(0).pattern(), "a+");
  EXPECT_EQ(chain.processors(0).flags(), "gi");
  EXPECT_EQ(chain.processors(0).replacement(), "b");
  EXPECT_EQ(chain.processors(1).position(), -2);
  EXPECT_EQ(chain.processors(1).content(), "hi");
  EXPECT_EQ(LoadError("processorChains:\n  c:\n    steps: []\n"),
            "test.yaml:3: processorChains.c.steps: unknown key 'steps' (known keys: processors)");
}

TEST(ConfigAnnotateTest, LongestKnownPrefix) {
  LoadedConfig loaded;
  loaded.source_name = "c.yaml";
  loaded.source_map = {{"modelProviders", 1}, {"modelProviders.gpt-4", 2}, {"modelProviders.gpt-4.1", 5}};
  auto annotate = [&](const std::string& message) {
    return std::string(AnnotateWithSource(absl::InvalidArgumentError(message), loaded).message());
  };
  EXPECT_EQ(annotate("modelProviders.gpt-4.1.url: bad"), "c.yaml:5: modelProviders.gpt-4.1.url: bad");
  EXPECT_EQ(annotate("modelProviders.gpt-4.url: bad"), "c.yaml:2: modelProviders.gpt-4.url: bad");
  EXPECT_EQ(annotate("modelProviders.other[3].x: bad"), "c.yaml:1: modelProviders.other[3].x: bad");
  EXPECT_EQ(annotate("processorChains.x: bad"), "c.yaml: processorChains.x: bad");
  EXPECT_EQ(annotate("no path here"), "c.yaml: no path here");
  // Already annotated errors pass through unchanged.
  EXPECT_EQ(annotate("c.yaml:5: modelProviders.gpt-4.1.url: bad"), "c.yaml:5: modelProviders.gpt-4.1.url: bad");
  EXPECT_TRUE(AnnotateWithSource(absl::OkStatus(), loaded).ok());
  EXPECT_EQ(AnnotateWithSource(absl::NotFoundError("x: y"), loaded).code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace switchboard::config
