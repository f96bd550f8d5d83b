#include "dataplane/routing/snapshot.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "common/config/load.h"

namespace switchboard::routing {
namespace {

std::shared_ptr<const Snapshot> BuildOrDie(const std::string& yaml, const Snapshot::Options& options = {}) {
  auto loaded = config::ParseConfigText(yaml, "test.yaml");
  EXPECT_TRUE(loaded.ok()) << loaded.status();
  if (!loaded.ok()) return nullptr;
  auto snap = Snapshot::Build(loaded->config, options);
  EXPECT_TRUE(snap.ok()) << snap.status();
  return snap.ok() ? *snap : nullptr;
}

absl::Status BuildError(const std::string& yaml, const Snapshot::Options& options = {}) {
  auto loaded = config::ParseConfigText(yaml, "test.yaml");
  if (!loaded.ok()) return loaded.status();
  return Snapshot::Build(loaded->config, options).status();
}

constexpr const char* kRandomConfig = R"(
keyProviders: {}
modelProviders:
  gpt-4.1:
    type: openrouter
    modelName: openai/gpt-4.1
  qwen-3-32b:
    type: openrouter
    modelName: qwen/qwen3-32b
  random:
    type: random
    modelList: [gpt-4.1, qwen-3-32b]
  random-2:
    type: random
    modelWeights:
      "gpt-4.1": 0.4
      "qwen-3-32b": 0.6
)";

std::map<std::string, int> Count(const Snapshot& snap, const std::string& name, int n, uint64_t seed) {
  Rng rng(seed);
  std::map<std::string, int> counts;
  const Model* model = snap.Find(name);
  for (int i = 0; i < n; ++i) counts[snap.Resolve(*model, rng).model->name]++;
  return counts;
}

TEST(Snapshot, WeightedChoiceFollowsWeights) {
  auto snap = BuildOrDie(kRandomConfig);
  ASSERT_TRUE(snap);
  constexpr int kDraws = 200000;
  // Fixed seed: deterministic, so the tolerance cannot flake; it is still ~9
  // standard deviations wide, so a correct sampler passes with any seed.
  auto counts = Count(*snap, "random-2", kDraws, 42);
  EXPECT_NEAR(counts["gpt-4.1"] / double(kDraws), 0.4, 0.01);
  EXPECT_NEAR(counts["qwen-3-32b"] / double(kDraws), 0.6, 0.01);
  auto uniform = Count(*snap, "random", kDraws, 7);
  EXPECT_NEAR(uniform["gpt-4.1"] / double(kDraws), 0.5, 0.01);
}

TEST(Snapshot, ModelWeightsWinOverModelList) {
  auto snap = BuildOrDie(R"(
keyProviders: {}
modelProviders:
  a: {type: trivial}
  b: {type: trivial}
  r:
    type: random
    modelList: [a]
    modelWeights: {b: 1}
)");
  ASSERT_TRUE(snap);
  auto counts = Count(*snap, "r", 100, 1);
  EXPECT_EQ(counts["b"], 100);
}

TEST(Snapshot, NestedRandomRunsOuterChainFirst) {
  auto snap = BuildOrDie(R"(
keyProviders: {}
modelProviders:
  leaf: {type: trivial, processorChain: inner}
  mid: {type: random, modelList: [leaf], processorChain: middle}
  top: {type: random, modelList: [mid], processorChain: outer}
processorChains:
  outer: [{type: nosys}]
  middle: [{type: nosys}]
  inner: [{type: nosys}]
)");
  ASSERT_TRUE(snap);
  Rng rng(1);
  Route route = snap->Resolve(*snap->Find("top"), rng);
  EXPECT_EQ(route.model->name, "leaf");
  ASSERT_EQ(route.chains.size(), 3u);
  EXPECT_EQ(route.chains[0], snap->Find("top")->chain);
  EXPECT_EQ(route.chains[1], snap->Find("mid")->chain);
  EXPECT_EQ(route.chains[2], snap->Find("leaf")->chain);
}

TEST(Snapshot, KeyTargetsSearchConfigNamesAndRotate) {
  auto snap = BuildOrDie(R"(
keyProviders:
  k1: {type: literal, key: sk-one, modelTargets: ["^gpt"]}
  k2: {type: literal, key: sk-two, modelTargets: ["4\\.1"]}
  k3: {type: literal, key: sk-three, modelTargets: ["mistral"]}
modelProviders:
  gpt-4.1: {type: genericoai, modelName: something-else}
  my-mistral: {type: genericoai, modelName: gpt-4o, url: "http://127.0.0.1:1/v1"}
  local: {type: genericoai, modelName: gpt-4o, url: "http://127.0.0.1:1/v1"}
)");
  ASSERT_TRUE(snap);
  const Model* gpt = snap->Find("gpt-4.1");
  ASSERT_EQ(gpt->keys.size(), 2u);
  std::vector<std::string> seen;
  for (int i = 0; i < 4; ++i) seen.push_back(gpt->keys.Next()->value);
  EXPECT_EQ(seen, (std::vector<std::string>{"sk-one", "sk-two", "sk-one", "sk-two"}));
  // Unanchored search in the config name "my-mistral", not the modelName.
  EXPECT_EQ(snap->Find("my-mistral")->keys.size(), 1u);
  EXPECT_EQ(snap->Find("my-mistral")->keys.Next()->provider, "k3");
  EXPECT_EQ(snap->Find("local")->keys.Next(), nullptr);
}

TEST(Snapshot, EnvironmentKeys) {
  const char* yaml = R"(
keyProviders:
  oai: {type: environment, envVar: SB_TEST_KEY, modelTargets: [".*"]}
modelProviders:
  m: {type: genericoai, modelName: x}
)";
  Snapshot::Options with;
  with.getenv = [](const char* name) -> const char* { return std::string(name) == "SB_TEST_KEY" ? "sk-env" : nullptr; };
  auto snap = BuildOrDie(yaml, with);
  ASSERT_TRUE(snap);
  EXPECT_EQ(snap->Find("m")->keys.Next()->value, "sk-env");

  Snapshot::Options without;
  without.getenv = [](const char*) -> const char* { return nullptr; };
  absl::Status error = BuildError(yaml, without);
  EXPECT_FALSE(error.ok());
  EXPECT_NE(error.message().find("keyProviders.oai.envVar"), std::string::npos) << error;
  EXPECT_NE(error.message().find("SB_TEST_KEY is not set"), std::string::npos) << error;
}

TEST(Snapshot, UpstreamUrls) {
  auto snap = BuildOrDie(R"(
keyProviders: {}
modelProviders:
  default: {type: genericoai, modelName: gpt-4.1}
  v1: {type: genericoai, modelName: x, url: "http://localhost:8080/v1/"}
  full: {type: genericoai, modelName: x, url: "http://localhost:8080/custom/chat/completions"}
  or: {type: openrouter, modelName: openai/gpt-4.1}
  triv: {type: trivial}
)");
  ASSERT_TRUE(snap);
  EXPECT_EQ(snap->Find("default")->target.url.ToString(), "https://api.openai.com:443/v1/chat/completions");
  EXPECT_EQ(snap->Find("v1")->target.url.target, "/v1/chat/completions");
  EXPECT_EQ(snap->Find("full")->target.url.target, "/custom/chat/completions");
  EXPECT_EQ(snap->Find("or")->target.url.ToString(), "https://openrouter.ai:443/api/v1/chat/completions");
  EXPECT_EQ(snap->Find("or")->target.model_name, "openai/gpt-4.1");
  EXPECT_EQ(snap->Find("triv")->output, "Yahallo! Some extra padding to make this longer...");
}

TEST(Snapshot, GeminiUrlsAndKeys) {
  auto snap = BuildOrDie(R"(
keyProviders:
  google: {type: literal, key: AIza-test, modelTargets: ["^gem"]}
modelProviders:
  gem-default: {type: gemini, modelName: gemini-2.5-flash}
  gem-models: {type: gemini, modelName: x, url: "http://127.0.0.1:1/v1beta/models/"}
  gem-v1beta: {type: gemini, modelName: x, url: "http://127.0.0.1:1/v1beta"}
  gem-proxy: {type: gemini, modelName: x, url: "http://127.0.0.1:1/proxy"}
)");
  ASSERT_TRUE(snap);
  const Model* def = snap->Find("gem-default");
  EXPECT_EQ(def->type, ProviderType::kGemini);
  EXPECT_EQ(def->target.url.ToString(), "https://generativelanguage.googleapis.com:443/v1beta/models");
  EXPECT_EQ(def->target.model_name, "gemini-2.5-flash");
  ASSERT_NE(def->adapter, nullptr);
  EXPECT_EQ(def->keys.Next()->value, "AIza-test");
  EXPECT_EQ(snap->Find("gem-models")->target.url.target, "/v1beta/models");
  EXPECT_EQ(snap->Find("gem-v1beta")->target.url.target, "/v1beta/models");
  EXPECT_EQ(snap->Find("gem-proxy")->target.url.target, "/proxy/v1beta/models");
}

TEST(Snapshot, SettingsDefaultsAndOverrides) {
  auto snap = BuildOrDie(R"(
port: 3100
keyProviders: {}
modelProviders: {t: {type: trivial}}
server: {bodyLimitBytes: 1024, keepAliveIntervalSeconds: 0.25}
upstream: {connectTimeoutSeconds: 2}
)");
  ASSERT_TRUE(snap);
  EXPECT_EQ(snap->settings().port, 3100);
  EXPECT_EQ(snap->settings().body_limit_bytes, 1024u);
  EXPECT_EQ(snap->settings().keep_alive_interval.count(), 250);
  EXPECT_EQ(snap->settings().connect_timeout.count(), 2000);
  EXPECT_EQ(snap->settings().first_byte_timeout.count(), 300000);
}

TEST(SnapshotStore, SwapKeepsOldSnapshotAliveForItsHolders) {
  auto a = BuildOrDie("keyProviders: {}\nmodelProviders: {a: {type: trivial}}\n");
  auto b = BuildOrDie("keyProviders: {}\nmodelProviders: {b: {type: trivial}}\n");
  SnapshotStore store;
  store.Set(a);
  auto held = store.Get();
  store.Set(b);
  EXPECT_NE(held->Find("a"), nullptr);
  EXPECT_NE(store.Get()->Find("b"), nullptr);
}

// Whether any model sends a body on as the client wrote it: the chat handler
// then tries the body check's quick pass first (it leaves no document).
TEST(Snapshot, SaysWhetherAnyModelPassesTheClientsTextThrough) {
  for (const auto& [yaml, expected] : std::vector<std::pair<std::string, bool>>{
           {"modelProviders:\n  a: {type: genericoai, url: 'http://h/v1', modelName: m}\n", true},
           {"modelProviders:\n  a: {type: openrouter, modelName: x}\n", true},
           {"modelProviders:\n  g: {type: gemini, modelName: gemini-2.5-pro}\n  t: {type: trivial}\n", false},
           {"modelProviders:\n  a: {type: genericoai, url: 'http://h/v1', modelName: m, processorChain: c}\n"
            "processorChains:\n  c: [{type: nosys}]\n",
            false},
           {"modelProviders:\n  g: {type: gemini, modelName: m}\n"
            "  a: {type: genericoai, url: 'http://h/v1', modelName: m}\n"
            "  r: {type: random, modelList: [g, a], processorChain: c}\n"
            "processorChains:\n  c: [{type: nosys}]\n",
            true},  // `a` asked for by name passes text through
       }) {
    SCOPED_TRACE(yaml);
    auto snap = BuildOrDie(yaml);
    ASSERT_TRUE(snap);
    EXPECT_EQ(snap->passes_text_through(), expected);
  }
}

}  // namespace
}  // namespace switchboard::routing
