// The README's grpcurl session ("Control plane and live weights"), command by
// command, run with `buf curl` against a real control plane and two data
// planes serving examples/demo.yaml, as `scripts/run --cluster` starts them.

#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "tests/integration/controlplane_fixture.h"
#include "tests/integration/harness/buf_curl.h"

namespace switchboard::testing {
namespace {

using std::chrono::milliseconds;

constexpr const char* kSection = "## Control plane and live weights";
constexpr const char* kReadmeAddress = "127.0.0.1:50051";

// The grpcurl commands of the README section's ```sh blocks, in order, with
// backslash continuations joined.
std::vector<std::string> ReadmeCommands() {
  std::ifstream in(std::string(SWITCHBOARD_SOURCE_DIR) + "/README.md");
  std::stringstream text;
  text << in.rdbuf();
  std::string readme = text.str();
  size_t begin = readme.find(kSection);
  if (begin == std::string::npos) return {};
  size_t end = readme.find("\n## ", begin + 1);
  std::string section = readme.substr(begin, end == std::string::npos ? std::string::npos : end - begin);

  std::vector<std::string> commands;
  std::istringstream lines(section);
  std::string line;
  bool in_sh = false;
  std::string pending;
  while (std::getline(lines, line)) {
    if (line.rfind("```", 0) == 0) {
      in_sh = !in_sh && line == "```sh";
      continue;
    }
    if (!in_sh) continue;
    if (!pending.empty()) {
      pending += "\n" + line;
    } else if (line.rfind("grpcurl ", 0) == 0) {
      pending = line;
    } else {
      continue;
    }
    if (!pending.empty() && pending.back() == '\\') continue;
    commands.push_back(pending);
    pending.clear();
  }
  return commands;
}

std::string MethodOf(const std::vector<std::string>& words) {
  const std::string& last = words.back();
  size_t slash = last.rfind('/');
  return slash == std::string::npos ? last : last.substr(slash + 1);
}

nlohmann::json JsonOf(const BufCurlResult& result) { return nlohmann::json::parse(result.output, nullptr, false); }

TEST_F(ControlPlaneTest, ReadmeGrpcurlSessionWorksAsWrittenWithBufCurl) {
  std::vector<std::string> commands = ReadmeCommands();
  ASSERT_GE(commands.size(), 7u) << "README section '" << kSection << "' lost its grpcurl session";

  std::ifstream demo(std::string(SWITCHBOARD_SOURCE_DIR) + "/examples/demo.yaml");
  std::stringstream demo_yaml;
  demo_yaml << demo.rdbuf();
  ASSERT_NO_FATAL_FAILURE(StartControlPlane(demo_yaml.str()));
  StartDataPlane("dp-1");
  StartDataPlane("dp-2");
  ASSERT_TRUE(WaitApplied({"dp-1", "dp-2"}, 1, milliseconds(10'000)));

  std::vector<std::string> methods;
  for (const std::string& command : commands) {
    SCOPED_TRACE(command);
    auto words = ShellWords(command);
    ASSERT_TRUE(words.has_value());
    ASSERT_NE(std::find(words->begin(), words->end(), kReadmeAddress), words->end())
        << "the README's commands use the default address " << kReadmeAddress;
    std::string error;
    auto args = GrpcurlToBufCurl(*words, controlplane_->grpc(), &error);
    ASSERT_TRUE(args.has_value()) << error;
    BufCurlResult result = RunBufCurl(SWITCHBOARD_BUF_BIN, *args, milliseconds(30'000));
    ASSERT_EQ(result.exit_code, 0) << result.output;

    std::string method = (*words)[words->size() - 1] == "list" ? "list" : MethodOf(*words);
    methods.push_back(method);
    nlohmann::json json = JsonOf(result);
    if (method == "list") {
      EXPECT_NE(result.output.find("switchboard.controlplane.v1.AdminService"), std::string::npos) << result.output;
      EXPECT_NE(result.output.find("grpc.health.v1.Health"), std::string::npos) << result.output;
    } else if (method == "Check") {
      EXPECT_EQ(json["status"], "SERVING") << result.output;
    } else if (method == "GetConfig") {
      EXPECT_EQ(json["version"], "1") << result.output;
      EXPECT_EQ(json["config"]["modelProviders"]["demo"]["type"], "random") << result.output;
    } else if (method == "SetWeights") {
      EXPECT_EQ(json["version"], "2") << result.output;
      EXPECT_EQ(json["summary"], "SetWeights demo: trivial-long=1 trivial-pirate=18 trivial-short=1");
    } else if (method == "ListDataPlanes") {
      // The README's reader types slower than the push lands; the test
      // repeats the same command until both replicas show version 2.
      auto deadline = std::chrono::steady_clock::now() + milliseconds(2000);
      auto on_version = [](const nlohmann::json& planes) {
        int n = 0;
        for (const auto& dp : planes["dataPlanes"]) n += dp["appliedVersion"] == "2" && dp["connected"] == true;
        return n;
      };
      while (on_version(json) < 2 && std::chrono::steady_clock::now() < deadline) {
        result = RunBufCurl(SWITCHBOARD_BUF_BIN, *args, milliseconds(30'000));
        json = JsonOf(result);
      }
      EXPECT_EQ(on_version(json), 2) << result.output;
      EXPECT_EQ(json["currentVersion"], "2");
    } else if (method == "ListVersions") {
      ASSERT_EQ(json["versions"].size(), 2u) << result.output;
      EXPECT_EQ(json["versions"][0]["author"], "anonymous@127.0.0.1");
    } else if (method == "Rollback") {
      EXPECT_EQ(json["version"], "3") << result.output;
    }
  }
  EXPECT_EQ(methods, (std::vector<std::string>{"list", "Check", "GetConfig", "SetWeights", "ListDataPlanes",
                                               "ListVersions", "Rollback"}));

  // The rollback is live on both replicas: the demo's own weights again.
  ASSERT_TRUE(WaitApplied({"dp-1", "dp-2"}, 3, milliseconds(1000)));
  cpv1::GetConfigResponse config;
  ASSERT_TRUE(admin().GetConfig(AdminContext().get(), {}, &config).ok());
  EXPECT_EQ(config.config().model_providers().at("demo").model_weights().at("trivial-pirate"), 0.2);
}

TEST(ShellWordsTest, SplitsAsShDoes) {
  auto words = ShellWords("grpcurl -plaintext -d '{\"a\": 1}' \\\n  127.0.0.1:50051 \"x y\" z\\ w");
  ASSERT_TRUE(words.has_value());
  EXPECT_EQ(*words, (std::vector<std::string>{"grpcurl", "-plaintext", "-d", "{\"a\": 1}", "127.0.0.1:50051", "x y",
                                              "z w"}));
  EXPECT_FALSE(ShellWords("echo 'unterminated").has_value());
}

TEST(GrpcurlToBufCurlTest, TranslatesListAndCalls) {
  std::string error;
  auto list = GrpcurlToBufCurl({"grpcurl", "-plaintext", "127.0.0.1:50051", "list"}, "127.0.0.1:5", &error);
  ASSERT_TRUE(list.has_value()) << error;
  EXPECT_EQ(*list, (std::vector<std::string>{"--protocol", "grpc", "--http2-prior-knowledge", "--list-services",
                                             "http://127.0.0.1:5"}));
  auto call = GrpcurlToBufCurl({"grpcurl", "-plaintext", "-H", "authorization: Bearer t", "-d", "{}",
                                "127.0.0.1:50051", "pkg.Svc/Method"},
                               "127.0.0.1:5", &error);
  ASSERT_TRUE(call.has_value()) << error;
  EXPECT_EQ(call->back(), "http://127.0.0.1:5/pkg.Svc/Method");
  EXPECT_FALSE(GrpcurlToBufCurl({"grpcurl", "127.0.0.1:50051", "list"}, "x", &error).has_value());
  EXPECT_FALSE(GrpcurlToBufCurl({"curl", "x"}, "x", &error).has_value());
}

}  // namespace
}  // namespace switchboard::testing
