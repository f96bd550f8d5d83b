#include "tests/integration/dataplane_fixture.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <iostream>

namespace switchboard::testing {

RawConnection::RawConnection(const std::string& host_port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(std::stoi(host_port.substr(host_port.rfind(':') + 1))));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
}

RawConnection::~RawConnection() { ::close(fd_); }

bool RawConnection::Send(const std::string& bytes) {
  return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
}

bool RawConnection::ReadOnce(std::chrono::milliseconds left) {
  pollfd readable{fd_, POLLIN, 0};
  if (::poll(&readable, 1, static_cast<int>(left.count())) != 1) return false;
  char bytes[16384];
  ssize_t n = ::recv(fd_, bytes, sizeof(bytes), 0);
  if (n <= 0) {
    closed_ = true;
    return false;
  }
  received_.append(bytes, static_cast<size_t>(n));
  return true;
}

std::string StandardConfig(const FakeUpstream& upstream, const ConfigOptions& options) {
  std::string base = "http://" + upstream.host_port();
  std::string yaml = std::string("keyProviders:\n") +
                     "  k1: {type: literal, key: " + kKey + ", modelTargets: [\"^up\"]}\n"
                     "modelProviders:\n"
                     "  up: {type: genericoai, url: \"" + base + "/v1\", modelName: upstream-model}\n"
                     "  local: {type: genericoai, url: \"" + base + "/v1/chat/completions\", modelName: m2}\n"
                     "  triv: {type: trivial, output: \"" + kTrivialOutput + "\", chunkDelayMs: 1}\n";
  if (options.tls_port) {
    yaml += "  up-tls: {type: genericoai, url: \"https://localhost:" + std::to_string(*options.tls_port) +
            "/v1\", modelName: upstream-model}\n";
  }
  yaml += options.extra_providers;
  yaml += "server: {bodyLimitBytes: 1024, keepAliveIntervalSeconds: 0.2, shutdownGraceSeconds: " +
          std::to_string(options.shutdown_grace_seconds) + "}\n";
  yaml += "upstream: {connectTimeoutSeconds: 2, firstByteTimeoutSeconds: 5, idleTimeoutSeconds: 2}\n";
  return yaml;
}

std::vector<std::string> StandardModelNames(const ConfigOptions& options) {
  std::vector<std::string> names{"up", "local", "triv"};
  if (options.tls_port) names.push_back("up-tls");
  return names;
}

nlohmann::json ChatRequest(const std::string& model, bool stream) {
  return {{"model", model}, {"messages", {{{"role", "user"}, {"content", "Hi"}}}}, {"stream", stream}};
}

std::string UpstreamChunk(const std::string& content) {
  nlohmann::json chunk = {{"id", "chatcmpl-up"},
                          {"object", "chat.completion.chunk"},
                          {"created", 1},
                          {"model", "upstream-model"},
                          {"choices", {{{"index", 0}, {"delta", {{"content", content}}}, {"finish_reason", nullptr}}}}};
  return chunk.dump();
}

nlohmann::json UpstreamCompletion(const std::string& content) {
  return {{"id", "chatcmpl-up"},
          {"object", "chat.completion"},
          {"created", 1},
          {"model", "upstream-model"},
          {"choices",
           {{{"index", 0}, {"message", {{"role", "assistant"}, {"content", content}}}, {"finish_reason", "stop"}}}},
          {"usage", {{"prompt_tokens", 3}, {"completion_tokens", 4}, {"total_tokens", 7}}}};
}

void ExpectOpenAiError(const HttpResponse& response, int status) {
  ASSERT_TRUE(response.ok()) << response.error;
  EXPECT_EQ(response.status, status) << response.body;
  nlohmann::json body = response.Json();
  ASSERT_TRUE(body.is_object()) << "not a JSON object: " << response.body;
  ASSERT_TRUE(body.contains("error") && body["error"].is_object()) << response.body;
  const nlohmann::json& error = body["error"];
  EXPECT_TRUE(error.contains("message") && error["message"].is_string()) << response.body;
  EXPECT_TRUE(error.contains("type") && error["type"].is_string()) << response.body;
  EXPECT_TRUE(error.contains("code")) << response.body;
}

std::string ErrorMessage(const std::string& body) {
  nlohmann::json parsed = nlohmann::json::parse(body, nullptr, false);
  if (!parsed.is_object() || !parsed.contains("error") || !parsed["error"].is_object()) return "";
  const nlohmann::json& message = parsed["error"]["message"];
  return message.is_string() ? message.get<std::string>() : "";
}

void DataPlaneTest::Start(const std::string& yaml, const EnvVars& env, const std::vector<std::string>& args) {
  std::string config = dir_.WriteFile("config.yaml", yaml);
  dataplane_ = std::make_unique<DataPlaneProcess>(SWITCHBOARD_DATAPLANE_BIN, config, args, env);
  if (!dataplane_->WaitReady(kWait)) {
    std::optional<int> exit = dataplane_->WaitExit(std::chrono::milliseconds(0));
    FAIL() << "data plane not ready: " << (exit ? "exited with status " + std::to_string(*exit) : "still running")
           << "\nconfig:\n" << yaml << "logs:\n" << dataplane_->LogText();
  }
  ASSERT_FALSE(dataplane_->api().empty()) << dataplane_->LogText();
  ASSERT_FALSE(dataplane_->admin().empty()) << dataplane_->LogText();
}

void DataPlaneTest::TearDown() {
  // The data plane's own account is the quickest way to see why a test failed.
  if (HasFailure() && dataplane_) std::cerr << "--- data plane logs ---\n" << dataplane_->LogText();
}

void DataPlaneTest::ExpectStillServing() const {
  HttpResponse models = client_.Get(api(), "/v1/models");
  EXPECT_TRUE(models.ok()) << models.error;
  EXPECT_EQ(models.status, 200) << models.body;
}

}  // namespace switchboard::testing
