// Where a standalone data plane's config comes from, through the real
// binaries: a sealed config fetched from an HTTPS URL served by the test
// (verified TLS), wrong passwords and altered files (exit status 2, one line),
// periodic refetch that keeps serving when a refetch fails, FunTimeRouter's
// providers.json spreading requests evenly over its models, and
// `switchboard-config` (check, encrypt, decrypt) never showing a key.

#include <chrono>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "common/crypto/sealed_config.h"
#include "tests/integration/dataplane_fixture.h"
#include "tests/integration/harness/test_ca.h"

namespace switchboard::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kPassword = "tavern-keeper-password-42";
constexpr const char* kSecretKey = "sk-very-secret-upstream-key-7f3a";
// Cheap scrypt so that the tests stay fast; the format is the same.
constexpr crypto::ScryptParams kFastScrypt{1024, 8, 1};

std::string SealConfig(const std::string& plaintext, const std::string& password = kPassword) {
  auto sealed = crypto::Seal(plaintext, password, kFastScrypt);
  EXPECT_TRUE(sealed.ok()) << sealed.status();
  return sealed.ok() ? *sealed : "";
}

// A config with one trivial model answering `output`, and a key whose value
// must never show up anywhere.
std::string TrivialConfig(const std::string& model, const std::string& output) {
  return "keyProviders:\n"
         "  secret: {type: literal, key: " + std::string(kSecretKey) + ", modelTargets: [\"^nothing$\"]}\n"
         "modelProviders:\n"
         "  " + model + ": {type: trivial, output: \"" + output + "\", chunkDelayMs: 1}\n";
}

// Changes one byte of the ciphertext (the first base64 character after the
// "ciphertext:" line) into another valid base64 character.
std::string Tamper(std::string sealed) {
  size_t at = sealed.find("ciphertext:\n") + 12;
  sealed[at] = sealed[at] == 'A' ? 'B' : 'A';
  return sealed;
}

// The data plane started with any arguments (DataPlaneProcess always passes
// --config), ready once it logs its "ready" line.
class DataPlane : public ChildProcess {
 public:
  DataPlane(const std::vector<std::string>& args, const EnvVars& env)
      : ChildProcess(SWITCHBOARD_DATAPLANE_BIN, WithListeners(args), env) {}

  bool WaitReady(std::chrono::milliseconds timeout) {
    return WaitForLine(
        [this](const std::string& line) {
          json parsed = json::parse(line, nullptr, false);
          if (!parsed.is_object() || parsed["msg"] != "ready" || !parsed["api"].is_string()) return false;
          api_ = parsed["api"].get<std::string>();
          return true;
        },
        timeout);
  }
  const std::string& api() const { return api_; }

 private:
  static std::vector<std::string> WithListeners(std::vector<std::string> args) {
    args.insert(args.end(), {"--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"});
    return args;
  }
  std::string api_;
};

// An HTTPS server (certificate for localhost from a test CA) serving one file
// whose content the test can change.
class ConfigServer {
 public:
  ConfigServer() : leaf_(ca_.IssueLeaf("localhost", {"localhost", "127.0.0.1"})), server_(TlsOptions{leaf_.cert, leaf_.key}) {}

  void Serve(int status, const std::string& body) {
    server_.SetHandler([status, body](const RecordedRequest& request, ResponseWriter& writer) {
      if (request.method != "GET" || request.target.rfind("/gist/providers.enc", 0) != 0) {
        writer.Send(404, {}, "not here");
        return;
      }
      writer.Send(status, {{"Content-Type", "text/plain"}}, body);
    });
  }
  // Answers nothing for a long time (a host that hangs).
  void Hang() {
    server_.SetHandler([](const RecordedRequest&, ResponseWriter& writer) { writer.Delay(60s); });
  }
  std::string url() const { return "https://localhost:" + std::to_string(server_.port()) + "/gist/providers.enc"; }
  const std::string& ca_file() const { return ca_.ca_file(); }
  size_t fetches() const { return server_.Requests().size(); }
  bool WaitForFetches(size_t n) const { return server_.WaitForRequests(n, 10s); }

 private:
  TestCa ca_;
  CertFiles leaf_;
  FakeUpstream server_;
};

class ConfigSourceTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (HasFailure() && dataplane_) std::cerr << "--- data plane logs ---\n" << dataplane_->LogText();
  }

  EnvVars Env(const std::string& password = kPassword) const {
    return {{"SSL_CERT_FILE", server_.ca_file()}, {"SWITCHBOARD_CONFIG_PASSWORD", password}, {"CONFIG_PASSWORD", ""}};
  }

  void StartFromUrl(const std::vector<std::string>& extra = {}, const EnvVars& env = {}) {
    std::vector<std::string> args{"--config-url", server_.url()};
    args.insert(args.end(), extra.begin(), extra.end());
    dataplane_ = std::make_unique<DataPlane>(args, env.empty() ? Env() : env);
  }

  // The data plane exits with status 2 and one "config error" line whose error
  // contains `expected`; nothing secret in its output.
  void ExpectConfigError(const std::string& expected) {
    std::optional<int> status = dataplane_->WaitExit(10s);
    ASSERT_TRUE(status.has_value()) << "still running";
    EXPECT_EQ(*status, 2);
    std::vector<std::string> lines = dataplane_->Logs();
    ASSERT_EQ(lines.size(), 1u) << dataplane_->LogText();
    json line = json::parse(lines[0], nullptr, false);
    EXPECT_EQ(line["level"], "error") << lines[0];
    EXPECT_EQ(line["msg"], "config error") << lines[0];
    ASSERT_TRUE(line["error"].is_string()) << lines[0];
    EXPECT_NE(line["error"].get<std::string>().find(expected), std::string::npos) << lines[0];
    ExpectNoSecrets(dataplane_->LogText());
  }

  static void ExpectNoSecrets(const std::string& text) {
    EXPECT_EQ(text.find(kPassword), std::string::npos) << text;
    EXPECT_EQ(text.find(kSecretKey), std::string::npos) << text;
    EXPECT_EQ(text.find("keyProviders"), std::string::npos) << text;  // no plaintext
  }

  std::string Chat(const std::string& model) const {
    HttpResponse response = client_.PostJson(dataplane_->api(), "/v1/chat/completions", ChatRequest(model));
    if (!response.ok() || response.status != 200) return "HTTP " + std::to_string(response.status) + response.body;
    return response.Json()["choices"][0]["message"]["content"].get<std::string>();
  }

  ConfigServer server_;
  HttpClient client_;
  std::unique_ptr<DataPlane> dataplane_;
};

TEST_F(ConfigSourceTest, SealedConfigFromHttpsUrlIsServed) {
  server_.Serve(200, SealConfig(TrivialConfig("sealed-model", "opened and served")));
  ASSERT_NO_FATAL_FAILURE(StartFromUrl());
  ASSERT_TRUE(dataplane_->WaitReady(kWait)) << dataplane_->LogText();
  HttpResponse models = client_.Get(dataplane_->api(), "/v1/models");
  ASSERT_EQ(models.status, 200) << models.body;
  EXPECT_EQ(models.Json()["data"][0]["id"], "sealed-model") << models.body;
  EXPECT_EQ(Chat("sealed-model"), "opened and served");
  EXPECT_EQ(server_.fetches(), 1u);
  ExpectNoSecrets(dataplane_->LogText());
}

TEST_F(ConfigSourceTest, ConfigUrlFromFunTimeRoutersVariables) {
  server_.Serve(200, SealConfig(TrivialConfig("ftr-model", "via CONFIG_URL")));
  dataplane_ = std::make_unique<DataPlane>(
      std::vector<std::string>{},
      EnvVars{{"SSL_CERT_FILE", server_.ca_file()}, {"CONFIG_URL", server_.url()}, {"CONFIG_PASSWORD", kPassword},
              {"SWITCHBOARD_CONFIG_PASSWORD", ""}});
  ASSERT_TRUE(dataplane_->WaitReady(kWait)) << dataplane_->LogText();
  EXPECT_EQ(Chat("ftr-model"), "via CONFIG_URL");
}

TEST_F(ConfigSourceTest, TlsIsVerified) {
  server_.Serve(200, SealConfig(TrivialConfig("m", "x")));
  // Without the test CA the server's certificate is not trusted.
  StartFromUrl({}, {{"SWITCHBOARD_CONFIG_PASSWORD", kPassword}, {"SSL_CERT_FILE", "/nonexistent-ca.pem"}});
  ExpectConfigError("certificate verify failed");
  EXPECT_EQ(server_.fetches(), 0u);
}

TEST_F(ConfigSourceTest, WrongPasswordIsOneLineAndExitStatus2) {
  server_.Serve(200, SealConfig(TrivialConfig("m", "x")));
  StartFromUrl({}, Env("not-the-password"));
  ExpectConfigError(server_.url() + ": wrong password or the file was altered (GCM tag mismatch)");
}

TEST_F(ConfigSourceTest, NoPasswordSaysWhereToPutOne) {
  server_.Serve(200, SealConfig(TrivialConfig("m", "x")));
  StartFromUrl({}, {{"SSL_CERT_FILE", server_.ca_file()}, {"SWITCHBOARD_CONFIG_PASSWORD", ""}, {"CONFIG_PASSWORD", ""}});
  ExpectConfigError("the config is sealed and no password is set: set SWITCHBOARD_CONFIG_PASSWORD");
}

TEST_F(ConfigSourceTest, TamperedFileIsRefused) {
  server_.Serve(200, Tamper(SealConfig(TrivialConfig("m", "x"))));
  StartFromUrl();
  ExpectConfigError("wrong password or the file was altered (GCM tag mismatch)");
}

TEST_F(ConfigSourceTest, SealedFileWithPasswordFile) {
  TempDir dir;
  std::string sealed = dir.WriteFile("providers.enc", SealConfig(TrivialConfig("file-model", "from a sealed file")));
  std::string password_file = dir.WriteFile("password", std::string(kPassword) + "\n");
  dataplane_ = std::make_unique<DataPlane>(
      std::vector<std::string>{"--config", sealed, "--config-password-file", password_file},
      EnvVars{{"SWITCHBOARD_CONFIG_PASSWORD", "wrong-one-from-env"}});  // the flag wins
  ASSERT_TRUE(dataplane_->WaitReady(kWait)) << dataplane_->LogText();
  EXPECT_EQ(Chat("file-model"), "from a sealed file");

  // An altered file on disk fails the same way.
  TempDir other;
  std::string tampered = other.WriteFile("p.enc", Tamper(SealConfig(TrivialConfig("m", "x"))));
  dataplane_ = std::make_unique<DataPlane>(std::vector<std::string>{"--config", tampered}, Env());
  ExpectConfigError(tampered + ": wrong password or the file was altered (GCM tag mismatch)");
}

TEST_F(ConfigSourceTest, PlainHttpOnlyToLocalhost) {
  dataplane_ = std::make_unique<DataPlane>(std::vector<std::string>{"--config-url", "http://example.com/p.enc"}, Env());
  ExpectConfigError("must be https:// (plain http is allowed only to localhost)");
}

TEST_F(ConfigSourceTest, FailedRefetchesKeepServing) {
  server_.Serve(200, SealConfig(TrivialConfig("v1-model", "first version")));
  ASSERT_NO_FATAL_FAILURE(StartFromUrl({"--config-refetch", "0.2"}));
  ASSERT_TRUE(dataplane_->WaitReady(kWait)) << dataplane_->LogText();
  EXPECT_EQ(Chat("v1-model"), "first version");

  // The same bytes again: nothing is rebuilt.
  ASSERT_TRUE(server_.WaitForFetches(3));
  EXPECT_FALSE(dataplane_->WaitForLog("config refetched", 0ms));

  // The host fails, then serves an altered file, then one sealed with another
  // password: each is logged and the first version keeps serving.
  server_.Serve(503, "busy");
  ASSERT_TRUE(dataplane_->WaitForLog("HTTP 503", kWait)) << dataplane_->LogText();
  EXPECT_EQ(Chat("v1-model"), "first version");
  server_.Serve(200, Tamper(SealConfig(TrivialConfig("v2-model", "second version"))));
  ASSERT_TRUE(dataplane_->WaitForLog("GCM tag mismatch", kWait)) << dataplane_->LogText();
  EXPECT_EQ(Chat("v1-model"), "first version");
  server_.Serve(200, SealConfig(TrivialConfig("v2-model", "second version"), "another-password"));
  size_t seen = server_.fetches();
  ASSERT_TRUE(server_.WaitForFetches(seen + 2));
  EXPECT_EQ(Chat("v1-model"), "first version");
  for (const auto& line : dataplane_->Logs()) {
    json parsed = json::parse(line, nullptr, false);
    if (parsed["msg"] == "config refetch failed; keeping the current config") {
      EXPECT_EQ(parsed["level"], "warn") << line;
      EXPECT_EQ(parsed["config"], server_.url()) << line;
    }
  }

  // A good new version is applied.
  server_.Serve(200, SealConfig(TrivialConfig("v2-model", "second version")));
  ASSERT_TRUE(dataplane_->WaitForLog("config refetched", kWait)) << dataplane_->LogText();
  EXPECT_EQ(Chat("v2-model"), "second version");
  ExpectNoSecrets(dataplane_->LogText());
}

TEST_F(ConfigSourceTest, ShutdownDoesNotWaitForAHangingRefetch) {
  server_.Serve(200, SealConfig(TrivialConfig("m", "x")));
  ASSERT_NO_FATAL_FAILURE(StartFromUrl({"--config-refetch", "0.2"}));
  ASSERT_TRUE(dataplane_->WaitReady(kWait)) << dataplane_->LogText();
  server_.Hang();
  size_t seen = server_.fetches();
  ASSERT_TRUE(server_.WaitForFetches(seen + 1));  // a refetch is now stuck on the host
  auto start = std::chrono::steady_clock::now();
  dataplane_->Terminate();
  std::optional<int> status = dataplane_->WaitExit(10s);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(*status, 0);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

// FunTimeRouter's providers.json: every model gets requests (the random model
// is uniform), each with its own key and settings; the client profiles'
// default is that random model.
TEST_F(ConfigSourceTest, ProvidersJsonSpreadsEvenlyOverItsModels) {
  FakeUpstream upstream;
  upstream.SetHandler([](const RecordedRequest& request, ResponseWriter& writer) {
    writer.SendJson(200, UpstreamCompletion("from " + request.Json().value("model", std::string("?"))));
  });
  std::string base = "http://" + upstream.host_port() + "/v1";
  json providers = json::array({
      {{"name", "Alpha"},
       {"base_url", base},
       {"api_key", "key-alpha"},
       {"models", json::array({{{"id", "alpha-1"}, {"settings", {{"temperature", 0.25}}}}, {{"id", "alpha-2"}}})}},
      {{"name", "Beta"}, {"base_url", base + "/"}, {"api_key", "key-beta"}, {"models", json::array({{{"id", "beta-1"}}})}},
  });
  server_.Serve(200, SealConfig(providers.dump(2)));
  ASSERT_NO_FATAL_FAILURE(StartFromUrl());
  ASSERT_TRUE(dataplane_->WaitReady(kWait)) << dataplane_->LogText();

  constexpr int kRequests = 600;
  auto connection = client_.Connect(dataplane_->api());
  for (int i = 0; i < kRequests; ++i) {
    HttpResponse response = connection->Request("POST", "/v1/chat/completions", ChatRequest("random").dump());
    ASSERT_EQ(response.status, 200) << response.body;
  }
  std::map<std::string, int> hits;
  std::map<std::string, std::string> keys;
  for (const auto& request : upstream.Requests()) {
    std::string model = request.Json().value("model", std::string());
    ++hits[model];
    keys[model] = request.Header("Authorization").value_or("");
    EXPECT_EQ(request.target, "/v1/chat/completions");
    if (model == "alpha-1") {
      EXPECT_EQ(request.Json()["temperature"], 0.25);
    } else {
      EXPECT_EQ(request.Json().contains("temperature"), false) << request.body;
    }
  }
  ASSERT_EQ(hits.size(), 3u);
  for (const auto& [model, count] : hits) {
    // Uniform: 200 each expected; a spread outside 100..300 would be a >7 sigma event.
    EXPECT_GE(count, 100) << model;
    EXPECT_LE(count, 300) << model;
  }
  EXPECT_EQ(keys["alpha-1"], "Bearer key-alpha");
  EXPECT_EQ(keys["alpha-2"], "Bearer key-alpha");
  EXPECT_EQ(keys["beta-1"], "Bearer key-beta");

  // JanitorAI's endpoint uses the random model whatever the client names.
  HttpResponse janitor = client_.PostJson(dataplane_->api(), "/janitorai", ChatRequest("anything-at-all"));
  ASSERT_EQ(janitor.status, 200) << janitor.body;
  EXPECT_EQ(janitor.Json()["choices"][0]["message"]["content"].get<std::string>().rfind("from ", 0), 0u);
  EXPECT_EQ(dataplane_->LogText().find("key-alpha"), std::string::npos);
}

// --- switchboard-config -------------------------------------------------------

class ConfigToolTest : public ::testing::Test {
 protected:
  // Runs the tool; returns its exit status, with its output in `output`.
  int Run(const std::vector<std::string>& args, std::string* output, const EnvVars& env = {}) {
    EnvVars full{{"SWITCHBOARD_CONFIG_PASSWORD", ""}, {"CONFIG_PASSWORD", ""}};
    full.insert(full.end(), env.begin(), env.end());
    ChildProcess tool(SWITCHBOARD_CONFIG_BIN, args, full);
    std::optional<int> status = tool.WaitExit(30s);
    *output = tool.LogText();
    return status.value_or(-1);
  }

  TempDir dir_;
};

constexpr const char* kProvidersJson = R"([
  {"name": "OpenRouter", "base_url": "https://openrouter.ai/api/v1", "api_key": "sk-or-v1-do-not-print-me",
   "models": [{"id": "mistralai/mistral-7b-instruct", "enable_prefill": true, "settings": {"temperature": 0.8}},
              {"id": "gryphe/mythomax-l2-13b"}]},
  {"name": "Local", "base_url": "http://127.0.0.1:5000/v1", "api_key": "dummy-local-key",
   "models": [{"id": "my-local-model"}]}
])";

TEST_F(ConfigToolTest, CheckPrintsWhatAConfigDefinesWithoutKeys) {
  std::string file = dir_.WriteFile("providers.json", kProvidersJson);
  std::string output;
  ASSERT_EQ(Run({"check", file}, &output), 0) << output;
  EXPECT_NE(output.find(file + ": valid FunTimeRouter providers.json"), std::string::npos) << output;
  EXPECT_NE(output.find("OpenRouter/mistralai/mistral-7b-instruct  genericoai  mistralai/mistral-7b-instruct @ "
                        "https://openrouter.ai/api/v1/chat/completions"),
            std::string::npos)
      << output;
  EXPECT_NE(output.find(" 33.3%  Local/my-local-model"), std::string::npos) << output;
  EXPECT_NE(output.find("OpenRouter/mistralai/mistral-7b-instruct: overridesamplers(temperature=0.8)"),
            std::string::npos)
      << output;
  EXPECT_NE(output.find("Local/my-local-model  literal  -> Local/my-local-model"), std::string::npos) << output;
  EXPECT_NE(output.find("default model: random"), std::string::npos) << output;
  EXPECT_NE(output.find("/janitorai  -> random"), std::string::npos) << output;
  EXPECT_EQ(output.find("sk-or-v1-do-not-print-me"), std::string::npos) << output;
  EXPECT_EQ(output.find("dummy-local-key"), std::string::npos) << output;
}

TEST_F(ConfigToolTest, CheckWarnsAboutUnsetVariablesAndFailsOnErrors) {
  std::string yaml = dir_.WriteFile("config.yaml",
                                    "keyProviders:\n"
                                    "  or: {type: environment, envVar: SB_TEST_UNSET_KEY_VAR, modelTargets: [\".*\"]}\n"
                                    "modelProviders:\n"
                                    "  a: {type: openrouter, modelName: x}\n"
                                    "  b: {type: openrouter, modelName: y}\n"
                                    "  pick: {type: random, modelWeights: {a: 3, b: 1}}\n");
  std::string output;
  ASSERT_EQ(Run({"check", yaml}, &output), 0) << output;
  EXPECT_NE(output.find("SB_TEST_UNSET_KEY_VAR is not set in this environment (keyProviders.or.envVar)"),
            std::string::npos)
      << output;
  EXPECT_NE(output.find(" 75.0%  a"), std::string::npos) << output;
  EXPECT_NE(output.find(" 25.0%  b"), std::string::npos) << output;
  EXPECT_NE(output.find("or  environment $SB_TEST_UNSET_KEY_VAR  -> a, b"), std::string::npos) << output;

  std::string bad = dir_.WriteFile("bad.json",
                                   "[{\"name\": \"a\", \"base_url\": \"https://a/v1\",\n"
                                   "  \"models\": [{\"id\": \"m\", \"settings\": {\n"
                                   "    \"tempreature\": 1}}]}]\n");
  ASSERT_EQ(Run({"check", bad}, &output), 1) << output;
  EXPECT_NE(output.find(bad + ":3: providers[0].models[0].settings.tempreature: unknown sampler 'tempreature'"),
            std::string::npos)
      << output;
}

TEST_F(ConfigToolTest, EncryptDecryptAndCheckASealedFile) {
  std::string plain = dir_.WriteFile("providers.json", kProvidersJson);
  std::string password_file = dir_.WriteFile("pw", std::string(kPassword) + "\n");
  std::string sealed = dir_.path() + "/providers.enc";
  std::string output;
  ASSERT_EQ(Run({"encrypt", plain, sealed, "--password-file", password_file, "--scrypt-n", "1024"}, &output), 0)
      << output;
  EXPECT_NE(output.find("(scrypt N=1024 r=8 p=1)"), std::string::npos) << output;

  ASSERT_EQ(Run({"check", sealed}, &output, {{"CONFIG_PASSWORD", kPassword}}), 0) << output;
  EXPECT_NE(output.find(sealed + ": valid FunTimeRouter providers.json, sealed (scrypt N=1024 r=8 p=1)"),
            std::string::npos)
      << output;
  EXPECT_EQ(output.find("sk-or-v1-do-not-print-me"), std::string::npos) << output;

  ASSERT_EQ(Run({"decrypt", sealed}, &output, {{"SWITCHBOARD_CONFIG_PASSWORD", kPassword}}), 0) << output;
  EXPECT_EQ(output, std::string(kProvidersJson) + "\n");  // LogText ends every line with \n

  ASSERT_EQ(Run({"decrypt", sealed}, &output, {{"SWITCHBOARD_CONFIG_PASSWORD", "wrong"}}), 1) << output;
  EXPECT_EQ(output, "switchboard-config: " + sealed + ": wrong password or the file was altered (GCM tag mismatch)\n");
  // No terminal and no password anywhere: told where one can come from.
  ASSERT_EQ(Run({"decrypt", sealed}, &output), 1) << output;
  EXPECT_NE(output.find("no password: set SWITCHBOARD_CONFIG_PASSWORD"), std::string::npos) << output;
  // Never from the command line.
  ASSERT_EQ(Run({"decrypt", sealed, "--password", kPassword}, &output), 2) << output;
}

TEST_F(ConfigToolTest, EncryptRefusesAnInvalidConfig) {
  std::string bad = dir_.WriteFile("bad.yaml", "modelProviders:\n  x: {type: genericoal}\n");
  std::string password_file = dir_.WriteFile("pw", kPassword);
  std::string output;
  ASSERT_EQ(Run({"encrypt", bad, dir_.path() + "/bad.enc", "--password-file", password_file}, &output), 1) << output;
  EXPECT_NE(output.find(bad + ":2: modelProviders.x.type: unknown model provider type 'genericoal'"),
            std::string::npos)
      << output;
  EXPECT_NE(output.find("not sealed"), std::string::npos) << output;
}

}  // namespace
}  // namespace switchboard::testing
