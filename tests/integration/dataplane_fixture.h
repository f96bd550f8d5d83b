#pragma once
// Shared set-up for the data plane's integration tests: a plain fake upstream,
// a config that points at it, and the real `switchboard-dataplane` binary
// started on ephemeral ports.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/integration/harness/fake_upstream.h"
#include "tests/integration/harness/http_client.h"
#include "tests/integration/harness/process.h"
#include "tests/integration/harness/temp_dir.h"

namespace switchboard::testing {

inline constexpr std::chrono::seconds kWait{5};
inline constexpr const char* kTrivialOutput = "Hello there, general";
inline constexpr const char* kKey = "sk-test-123";

// The config every test starts from:
//   up     genericoai at `upstream` (base URL with /v1), key k1 targets it
//   local  genericoai at `upstream` (full chat URL), no key targets it
//   triv   trivial
//   up-tls genericoai at https://localhost:<tls_port>/v1, when tls_port is set
// `extra_providers` is YAML appended under modelProviders (indented by the caller).
struct ConfigOptions {
  std::optional<int> tls_port;
  std::string extra_providers;
  double shutdown_grace_seconds = 5;
};
std::string StandardConfig(const FakeUpstream& upstream, const ConfigOptions& options = {});
// Model provider names StandardConfig defines.
std::vector<std::string> StandardModelNames(const ConfigOptions& options = {});

// {"model":model,"messages":[{"role":"user","content":"Hi"}],"stream":stream}
nlohmann::json ChatRequest(const std::string& model, bool stream = false);
// One OpenAI chat.completion.chunk carrying `content`.
std::string UpstreamChunk(const std::string& content);
// A complete OpenAI chat.completion answering `content`.
nlohmann::json UpstreamCompletion(const std::string& content);

// Status, and an OpenAI error body: {"error":{"message":string,"type":string,"code":..}}.
void ExpectOpenAiError(const HttpResponse& response, int status);
// error.message of an OpenAI error body (JSON text), or "" when there is none.
std::string ErrorMessage(const std::string& body);

// A plain TCP connection to 127.0.0.1:PORT, for what HttpClient does not do
// (pipelining, half-sent requests, watching the server close).
class RawConnection {
 public:
  explicit RawConnection(const std::string& host_port);
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;
  bool connected() const { return connected_; }
  bool Send(const std::string& bytes);
  // Reads until `done(received)`, the server closes, or `timeout`; returns all
  // received so far.
  template <typename Done>
  std::string ReadUntil(Done done, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!closed_ && !done(received_)) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || !ReadOnce(left)) break;
    }
    return received_;
  }
  // Reads (and keeps) until the server closes the connection; false when it
  // is still open after `timeout`.
  bool WaitClosed(std::chrono::milliseconds timeout) {
    ReadUntil([](const std::string&) { return false; }, timeout);
    return closed_;
  }
  const std::string& received() const { return received_; }

 private:
  // One poll and recv within `left`; false on timeout.
  bool ReadOnce(std::chrono::milliseconds left);

  int fd_;
  bool connected_ = false;
  bool closed_ = false;  // EOF or reset seen
  std::string received_;
};

class DataPlaneTest : public ::testing::Test {
 protected:
  void TearDown() override;

  // Writes `yaml` and starts the data plane on it (with `args` added to its
  // command line); fails the test unless it becomes ready. Call through
  // ASSERT_NO_FATAL_FAILURE.
  void Start(const std::string& yaml, const EnvVars& env = {}, const std::vector<std::string>& args = {});
  void StartStandard(const ConfigOptions& options = {}) { Start(StandardConfig(upstream_, options)); }

  const std::string& api() const { return dataplane_->api(); }

  HttpResponse PostChat(const nlohmann::json& body, const std::string& target = "/v1/chat/completions") const {
    return client_.Request("POST", api(), target, body.dump());
  }
  std::unique_ptr<SseStream> StreamChat(const nlohmann::json& body) const {
    return client_.Stream("POST", api(), "/v1/chat/completions", body.dump());
  }
  // The data plane still answers a fresh request (after an error path).
  void ExpectStillServing() const;

  TempDir dir_;
  FakeUpstream upstream_;
  HttpClient client_;
  std::unique_ptr<DataPlaneProcess> dataplane_;
};

}  // namespace switchboard::testing
