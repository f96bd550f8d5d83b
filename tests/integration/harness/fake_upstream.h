#pragma once
// A programmable HTTP/1.1 upstream for integration tests, plain or TLS, bound
// to 127.0.0.1 on an ephemeral port.
//
// Threading: one thread accepts, one thread per connection reads requests and
// runs the handler, and one watchdog thread notices peers that hang up while a
// response is in progress. The handler runs on the connection's thread and may
// block (on a Gate, a delay) without stalling other connections. Everything
// public is thread-safe. The destructor stops the server: it wakes blocked
// reads and every ResponseWriter wait, then joins all threads, so handlers must
// wait only through ResponseWriter::Await / Delay, never on their own.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/integration/harness/gate.h"

namespace switchboard::testing {

using Headers = std::vector<std::pair<std::string, std::string>>;

// The first header named `name` (case-insensitive), if any.
std::optional<std::string> FindHeader(const Headers& headers, std::string_view name);

struct RecordedRequest {
  std::string method;
  std::string target;
  Headers headers;
  std::string body;
  int connection = 0;  // 1-based number of the connection it arrived on

  std::optional<std::string> Header(std::string_view name) const { return FindHeader(headers, name); }
  // The body as JSON; a discarded value when it is not JSON.
  nlohmann::json Json() const;
};

// "data: <payload>\n\n" — one SSE event.
std::string SseEvent(std::string_view payload);

enum class Framing {
  kChunked,         // Transfer-Encoding: chunked, ended by the last chunk
  kCloseDelimited,  // no length; the body ends when the fake closes the connection
};

enum class AbortMode {
  kReset,  // RST (SO_LINGER 0): the peer sees ECONNRESET
  kClose,  // FIN without finishing the body or the TLS session
};

// How a handler answers one request. Used only on the handler's thread, only
// during the handler call. Every method returns false once the peer is gone
// (or the response can no longer be written), so a handler can stop early.
class ResponseWriter {
 public:
  virtual ~ResponseWriter() = default;

  // A complete response; Content-Length is added.
  virtual bool Send(int status, const Headers& headers, std::string_view body) = 0;
  bool SendJson(int status, const nlohmann::json& body) {
    return Send(status, {{"Content-Type", "application/json"}}, body.dump());
  }

  // A streamed response: headers now, then WriteChunk per piece, then EndStream.
  virtual bool StartStream(int status, const Headers& headers, Framing framing = Framing::kChunked) = 0;
  virtual bool WriteChunk(std::string_view data) = 0;
  virtual bool EndStream() = 0;

  // Bytes as they are, in place of a response (a malformed head, or one in
  // pieces: call it again after a Delay). Nothing else may follow; the
  // connection is closed when the handler returns.
  virtual bool SendRaw(std::string_view bytes) = 0;

  // Drops the connection at once; nothing more is written on it.
  virtual void Abort(AbortMode mode = AbortMode::kReset) = 0;

  // Blocks until `gate` opens. False on timeout, when the peer hangs up or
  // when the fake is stopping.
  virtual bool Await(const Gate& gate, std::chrono::milliseconds timeout) = 0;
  // Sleeps (a slow upstream); false when cut short by a hang-up or stop.
  virtual bool Delay(std::chrono::milliseconds duration) = 0;
};

// Runs once per request. When it returns without answering, the fake answers
// 500; a stream it left open is ended.
using Handler = std::function<void(const RecordedRequest&, ResponseWriter&)>;

struct TlsOptions {
  std::string cert_file;  // PEM chain
  std::string key_file;   // PEM key
};

class FakeUpstream {
 public:
  // Plain HTTP when `tls` is empty. Throws std::runtime_error if it cannot listen.
  explicit FakeUpstream(std::optional<TlsOptions> tls = std::nullopt);
  ~FakeUpstream();
  FakeUpstream(const FakeUpstream&) = delete;
  FakeUpstream& operator=(const FakeUpstream&) = delete;

  int port() const;
  std::string host_port() const;  // "127.0.0.1:PORT"

  // Replaces the handler for requests that arrive from now on. The default
  // answers 200 with a small chat completion.
  void SetHandler(Handler handler);

  std::vector<RecordedRequest> Requests() const;
  // True once at least `n` requests have been recorded.
  bool WaitForRequests(size_t n, std::chrono::milliseconds timeout) const;

  int connections_accepted() const;
  int tls_handshake_failures() const;

  // Peer hang-ups seen while a response was in progress (the request read,
  // the response not finished).
  int disconnects() const;
  // True once disconnects() >= n.
  bool WaitForDisconnect(std::chrono::milliseconds timeout, int n = 1) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace switchboard::testing
