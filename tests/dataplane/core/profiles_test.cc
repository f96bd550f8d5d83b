// Client profiles, CORS and the log switch as a snapshot builds them.

#include "dataplane/routing/profiles.h"

#include <map>

#include <gtest/gtest.h>

#include "common/config/load.h"
#include "dataplane/routing/snapshot.h"

namespace switchboard::routing {
namespace {

using Env = std::map<std::string, std::string>;

absl::StatusOr<std::shared_ptr<const Snapshot>> Build(const std::string& yaml, const Env& env = {}) {
  auto loaded = config::ParseConfigText(yaml, "test.yaml");
  if (!loaded.ok()) return loaded.status();
  Snapshot::Options options;
  options.getenv = [env](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  return Snapshot::Build(loaded->config, options);
}

constexpr const char* kModels = "modelProviders:\n  a: {type: trivial}\n  b: {type: trivial}\n";

const ClientProfile* Profile(const Snapshot& snap, const std::string& name) {
  for (const auto& p : snap.client().profiles) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

TEST(ClientProfiles, BuiltInsExistWithFunTimeRouterDefaults) {
  auto snap = Build(kModels);
  ASSERT_TRUE(snap.ok()) << snap.status();
  const ClientProfile* janitor = Profile(**snap, "janitorai");
  const ClientProfile* tavern = Profile(**snap, "sillytavern");
  ASSERT_NE(janitor, nullptr);
  ASSERT_NE(tavern, nullptr);
  EXPECT_EQ(janitor->path, "/janitorai");
  EXPECT_EQ(tavern->path, "/sillytavern");
  EXPECT_EQ(janitor->default_model, nullptr);  // no default model anywhere: the client's name is used
  EXPECT_FALSE(tavern->generic_models);        // ...and /models lists every model
  EXPECT_FALSE(janitor->prefill.has_value());
  EXPECT_TRUE((*snap)->client().any_origin);
  EXPECT_TRUE((*snap)->client().log_requests);
}

TEST(ClientProfiles, DefaultModelGivesTheGenericModelList) {
  auto snap = Build(std::string(kModels) + "defaultModel: b\nclientProfiles:\n  sillytavern: {genericModel: Hidden}\n");
  ASSERT_TRUE(snap.ok()) << snap.status();
  const ClientProfile* tavern = Profile(**snap, "sillytavern");
  ASSERT_NE(tavern->default_model, nullptr);
  EXPECT_EQ(tavern->default_model->name, "b");
  EXPECT_TRUE(tavern->generic_models);
  EXPECT_EQ(tavern->generic_model, "Hidden");
  EXPECT_EQ(Profile(**snap, "janitorai")->generic_model, "Secret");
}

TEST(ClientProfiles, EnvironmentFillsWhatTheConfigLeavesUnset) {
  Env env = {{"JANITORAI_PREFILL_CONTENT", "((OOC: Sure!))"},
             {"JANITORAI_SYSTEM_PREFILL_CONTENT", "Stay in character."},
             {"ENABLE_LOGGING", "False"}};
  auto snap = Build(kModels, env);
  ASSERT_TRUE(snap.ok()) << snap.status();
  const ClientProfile* janitor = Profile(**snap, "janitorai");
  EXPECT_EQ(janitor->prefill.value_or(""), "((OOC: Sure!))");
  EXPECT_EQ(janitor->system_prefill.value_or(""), "Stay in character.");
  EXPECT_FALSE(Profile(**snap, "sillytavern")->prefill.has_value());
  EXPECT_FALSE((*snap)->client().log_requests);

  auto configured = Build(std::string(kModels) + "clientProfiles:\n  janitorai: {prefill: mine}\n", env);
  ASSERT_TRUE(configured.ok());
  EXPECT_EQ(Profile(**configured, "janitorai")->prefill.value_or(""), "mine");  // the config wins
}

TEST(ClientProfiles, CustomProfileAndPathMatching) {
  auto snap = Build(std::string(kModels) + "clientProfiles:\n  mine: {path: /x/rp/, defaultModel: a}\n");
  ASSERT_TRUE(snap.ok()) << snap.status();
  const auto& client = (*snap)->client();
  std::string_view rest;
  const ClientProfile* p = client.Match("/x/rp", &rest);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->name, "mine");
  EXPECT_EQ(rest, "");
  p = client.Match("/x/rp/v1/chat/completions", &rest);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(rest, "/v1/chat/completions");
  EXPECT_EQ(client.Match("/x/rpg", &rest), nullptr);
  EXPECT_EQ(client.Match("/v1/chat/completions", &rest), nullptr);
  EXPECT_EQ(client.Match("/janitorai/chat/completions", &rest)->name, "janitorai");
}

TEST(ClientProfiles, ErrorsNameThePath) {
  struct Bad {
    std::string yaml;
    std::string error;
  };
  const Bad bad[] = {
      {"clientProfiles:\n  janitorai: {defaultModel: zzz}\n", "clientProfiles.janitorai.defaultModel: unknown model provider 'zzz'"},
      {"defaultModel: zzz\n", "defaultModel: unknown model provider 'zzz'"},
      {"clientProfiles:\n  x: {path: /v1}\n", "clientProfiles.x.path: '/v1' would hide the API's own /v1"},
      {"clientProfiles:\n  x: {path: nope}\n", "clientProfiles.x.path: 'nope' must be a path"},
      {"clientProfiles:\n  x: {path: /janitorai}\n", "clientProfiles.x.path: '/janitorai' is also the path of profile 'janitorai'"},
      {"clientProfiles:\n  x: {models: some}\n", "clientProfiles.x.models: must be 'generic' or 'all'"},
      {"clientProfiles:\n  x: {models: generic}\n", "clientProfiles.x.models: 'generic' needs a defaultModel"},
      {"cors: {allowedOrigins: [janitorai.com]}\n", "cors.allowedOrigins[0]: 'janitorai.com' is not an origin"},
      {"cors: {allowedOrigins: [\"https://janitorai.com/\"]}\n", "cors.allowedOrigins[0]: an origin has no path"},
  };
  for (const Bad& b : bad) {
    auto snap = Build(std::string(kModels) + b.yaml);
    ASSERT_FALSE(snap.ok()) << b.yaml;
    EXPECT_EQ(std::string(snap.status().message()).rfind(b.error, 0), 0u) << snap.status() << "\nwanted: " << b.error;
  }
}

TEST(Cors, AllowedOrigins) {
  auto snap = Build(std::string(kModels) + "cors: {allowedOrigins: [\"https://janitorai.com\"]}\n");
  ASSERT_TRUE(snap.ok()) << snap.status();
  const auto& client = (*snap)->client();
  EXPECT_EQ(client.AllowOrigin("https://janitorai.com"), "https://janitorai.com");
  EXPECT_EQ(client.AllowOrigin("https://evil.example"), "");
  EXPECT_EQ(client.AllowOrigin(""), "");
  auto any = Build(kModels);
  EXPECT_EQ((*any)->client().AllowOrigin("https://evil.example"), "*");
}

TEST(ModelPrefill, MistralAutoDetectAndOverrides) {
  auto snap = Build(
      "modelProviders:\n"
      "  m1: {type: genericoai, url: \"http://x/v1\", modelName: mistralai/Mistral-Large}\n"
      "  m2: {type: genericoai, url: \"http://x/v1\", modelName: mistral-small, mistralPrefix: false}\n"
      "  m3: {type: genericoai, url: \"http://x/v1\", modelName: llama, prefill: \"Hi\", enablePrefill: true}\n"
      "  m4: {type: genericoai, url: \"http://x/v1\", modelName: llama, enablePrefill: false}\n");
  ASSERT_TRUE(snap.ok()) << snap.status();
  EXPECT_TRUE((*snap)->Find("m1")->mistral_prefix);
  EXPECT_FALSE((*snap)->Find("m2")->mistral_prefix);
  EXPECT_FALSE((*snap)->Find("m3")->mistral_prefix);
  EXPECT_EQ((*snap)->Find("m3")->prefill.value_or(""), "Hi");
  EXPECT_FALSE((*snap)->Find("m3")->prefill_disabled);
  EXPECT_TRUE((*snap)->Find("m4")->prefill_disabled);
}

}  // namespace
}  // namespace switchboard::routing
