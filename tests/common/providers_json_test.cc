// FunTimeRouter's providers.json as a config: the README's own example, what
// each provider/model pair becomes, and errors that name the file's paths.
#include <gtest/gtest.h>

#include <string>

#include "common/config/load.h"
#include "common/config/providers_json.h"

namespace switchboard::config {
namespace {

// The example of FunTimeRouter's README, verbatim apart from the key.
constexpr std::string_view kReadmeExample = R"([
  {
    "name": "OpenRouter",
    "base_url": "https://openrouter.ai/api/v1",
    "api_key": "sk-or-v1-example",
    "models": [
      { 
        "id": "mistralai/mistral-7b-instruct", 
        "enable_prefill": true,
        "settings": { "temperature": 0.8 }
      }
    ]
  },
  {
    "name": "Local-Oobabooga",
    "base_url": "https://your-ngrok-url.ngrok.io/v1",
    "api_key": "dummy",
    "models": [
      { "id": "my-local-model" }
    ]
  }
]
)";

std::string LoadError(std::string_view text) {
  auto loaded = ParseConfigText(text, "providers.json");
  if (loaded.ok()) return "";
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kInvalidArgument) << loaded.status();
  return std::string(loaded.status().message());
}

TEST(ProvidersJsonTest, ReadmeExample) {
  auto loaded = ParseConfigText(kReadmeExample, "providers.json");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->form, "providers.json");
  const Config& config = loaded->config;
  ASSERT_EQ(config.model_providers_size(), 3);

  const auto& mistral = config.model_providers().at("OpenRouter/mistralai/mistral-7b-instruct");
  EXPECT_EQ(mistral.type(), "genericoai");
  EXPECT_EQ(mistral.url(), "https://openrouter.ai/api/v1/chat/completions");
  EXPECT_EQ(mistral.model_name(), "mistralai/mistral-7b-instruct");
  ASSERT_TRUE(mistral.has_enable_prefill());
  EXPECT_TRUE(mistral.enable_prefill());
  EXPECT_EQ(mistral.processor_chain(), "OpenRouter/mistralai/mistral-7b-instruct");

  const auto& local = config.model_providers().at("Local-Oobabooga/my-local-model");
  EXPECT_EQ(local.url(), "https://your-ngrok-url.ngrok.io/v1/chat/completions");
  EXPECT_EQ(local.model_name(), "my-local-model");
  ASSERT_TRUE(local.has_enable_prefill());
  EXPECT_FALSE(local.enable_prefill());  // FunTimeRouter prefills only where asked
  EXPECT_EQ(local.processor_chain(), "");

  const auto& random = config.model_providers().at("random");
  EXPECT_EQ(random.type(), "random");
  EXPECT_EQ(std::vector<std::string>(random.model_list().begin(), random.model_list().end()),
            (std::vector<std::string>{"OpenRouter/mistralai/mistral-7b-instruct", "Local-Oobabooga/my-local-model"}));
  EXPECT_EQ(random.model_weights_size(), 0);  // uniform
  EXPECT_EQ(config.default_model(), "random");

  ASSERT_EQ(config.key_providers_size(), 2);
  const auto& key = config.key_providers().at("OpenRouter/mistralai/mistral-7b-instruct");
  EXPECT_EQ(key.type(), "literal");
  EXPECT_EQ(key.key(), "sk-or-v1-example");
  ASSERT_EQ(key.model_targets_size(), 1);
  EXPECT_EQ(key.model_targets(0), "^OpenRouter\\/mistralai\\/mistral\\-7b\\-instruct$");
  EXPECT_EQ(config.key_providers().at("Local-Oobabooga/my-local-model").key(), "dummy");

  const auto& chain = config.processor_chains().at("OpenRouter/mistralai/mistral-7b-instruct");
  ASSERT_EQ(chain.processors_size(), 1);
  EXPECT_EQ(chain.processors(0).type(), "overridesamplers");
  ASSERT_TRUE(chain.processors(0).samplers().contains("temperature"));
  EXPECT_DOUBLE_EQ(chain.processors(0).samplers().at("temperature").number(), 0.8);
}

TEST(ProvidersJsonTest, ObjectWithProvidersListAndUrlForms) {
  auto loaded = ParseConfigText(R"({"providers": [
    {"name": "a", "base_url": "http://127.0.0.1:8080/v1/", "models": [{"id": "m"}]},
    {"name": "b", "base_url": "https://x.example/v1/chat/completions", "api_key": "", "models": [{"id": "m"}]},
    {"name": "c", "base_url": "https://y.example/openai?api-version=2", "models": [{"id": "m"}]}
  ]})",
                                "p.json");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  const auto& models = loaded->config.model_providers();
  EXPECT_EQ(models.at("a/m").url(), "http://127.0.0.1:8080/v1/chat/completions");
  EXPECT_EQ(models.at("b/m").url(), "https://x.example/v1/chat/completions");
  EXPECT_EQ(models.at("c/m").url(), "https://y.example/openai/chat/completions?api-version=2");
  // No api_key, or an empty one: no key provider (requests go without a key).
  EXPECT_EQ(loaded->config.key_providers_size(), 0);
}

TEST(ProvidersJsonTest, DuplicateAndUnnamedProvidersGetDistinctNames) {
  auto loaded = ParseConfigText(R"([
    {"name": "p", "base_url": "https://a.example/v1", "api_key": "k1", "models": [{"id": "m"}, {"id": "m"}]},
    {"name": "p", "base_url": "https://b.example/v1", "api_key": "k2", "models": [{"id": "m"}]},
    {"base_url": "https://c.example/v1", "models": [{"id": "x.y"}]}
  ])",
                                "p.json");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  const auto& config = loaded->config;
  EXPECT_EQ(config.model_providers().at("p/m").url(), "https://a.example/v1/chat/completions");
  EXPECT_EQ(config.model_providers().at("p/m#2").url(), "https://a.example/v1/chat/completions");
  EXPECT_EQ(config.model_providers().at("p/m#3").url(), "https://b.example/v1/chat/completions");
  EXPECT_EQ(config.model_providers().at("provider3/x.y").model_name(), "x.y");
  EXPECT_EQ(config.model_providers().at("random").model_list_size(), 4);
  // Each key targets exactly its own model: "p/m" must not match "p/m#2".
  EXPECT_EQ(config.key_providers().at("p/m").model_targets(0), "^p\\/m$");
  EXPECT_EQ(config.key_providers().at("p/m#3").key(), "k2");
  EXPECT_FALSE(config.key_providers().contains("provider3/x.y"));  // no api_key, no key provider
}

TEST(ProvidersJsonTest, ErrorsNameTheFilePathAndLine) {
  EXPECT_EQ(LoadError("[]"), "providers.json:1: providers: no providers (the list is empty)");
  EXPECT_EQ(LoadError("[\n  {\"name\": \"a\", \"base_url\": \"https://a/v1\",\n   \"models\": [\n    {\"id\": \"m\",\n"
                      "     \"settings\": {\"temperature\": 0.5, \"stop\": [\"\\n\"]}}]}\n]\n"),
            "providers.json:5: providers[0].models[0].settings.stop: only numeric settings are supported (samplers "
            "such as temperature, top_p, max_tokens); got array");
  EXPECT_EQ(LoadError("[{\"name\": \"a\", \"models\": [{\"id\": \"m\"}]}]"),
            "providers.json:1: providers[0].base_url: required (the API's base URL, e.g. https://openrouter.ai/api/v1)");
  EXPECT_EQ(LoadError("[\n {\"name\": \"a\",\n  \"base_url\": \"ftp://a\",\n  \"models\": [{\"id\": \"m\"}]}]"),
            "providers.json:3: providers[0].base_url: URL must start with http:// or https:// (got 'ftp://a')");
  EXPECT_EQ(LoadError("[{\"name\": \"a\", \"base_url\": \"https://a/v1\", \"apikey\": \"k\", \"models\": []}]"),
            "providers.json:1: providers[0].apikey: unknown key 'apikey' (did you mean 'api_key'?)");
  EXPECT_EQ(LoadError("[{\"name\": \"a\", \"base_url\": \"https://a/v1\", \"models\": []}]"),
            "providers.json:1: providers[0].models: is empty (list at least one model)");
  EXPECT_EQ(LoadError("[{\"name\": \"a\", \"base_url\": \"https://a/v1\",\n \"models\": [{\"id\": \"m\"},\n"
                      " {\"id\": \"n\", \"enable_prefill\": \"yes\"}]}]"),
            "providers.json:3: providers[0].models[1].enable_prefill: expected true or false");
  EXPECT_EQ(LoadError("[{\"name\": \"a\", \"base_url\": \"https://a/v1\", \"models\": [{\"model\": \"m\"}]}]"),
            "providers.json:1: providers[0].models[0].model: unknown key 'model' (known keys: id, enable_prefill, "
            "settings)");
  EXPECT_EQ(LoadError("[{\"name\": \"a\", \"base_url\": \"https://a/v1\", \"models\": [{\"id\": \"m\"}]}, 42]"),
            "providers.json:1: providers[1]: expected a provider {name, base_url, api_key, models}");
  EXPECT_EQ(LoadError("{\"providers\": 3}"),
            "providers.json:1: providers: expected a list of providers {name, base_url, api_key, models}");
}

// Errors found after loading (the snapshot builds the samplers) are about
// generated paths; AnnotateWithSource puts the file's path and line back.
TEST(ProvidersJsonTest, LaterErrorsAreTranslatedToFilePaths) {
  auto loaded = ParseConfigText(
      "[{\"name\": \"a\",\n \"base_url\": \"https://a/v1\",\n \"models\": [{\"id\": \"m\",\n"
      "   \"settings\": {\n     \"foo\": 1}}]}]",
      "providers.json");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(AnnotateWithSource(absl::InvalidArgumentError("processorChains.a/m[0].foo: unknown sampler 'foo'"), *loaded)
                .message(),
            "providers.json:5: providers[0].models[0].settings.foo: unknown sampler 'foo'");
  EXPECT_EQ(AnnotateWithSource(absl::InvalidArgumentError("modelProviders.a/m.url: bad"), *loaded).message(),
            "providers.json:2: providers[0].base_url: bad");
  EXPECT_EQ(AnnotateWithSource(absl::InvalidArgumentError("keyProviders.zzz: bad"), *loaded).message(),
            "providers.json: keyProviders.zzz: bad");
}

TEST(ProvidersJsonTest, FireRouterConfigsAreNotMistakenForIt) {
  auto loaded = ParseConfigText("modelProviders:\n  t: {type: trivial}\n", "c.yaml");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->form, "config");
  EXPECT_TRUE(loaded->path_aliases.empty());
}

}  // namespace
}  // namespace switchboard::config
