#pragma once
// A blocking HTTP/1.1 test client (plain or TLS) with a timeout on every
// operation. It reports what a client would see — status, headers, body,
// SSE events, or the transport error — and never throws on network errors.
//
// Threading: each connection or stream object runs its own private
// io_context on the calling thread; one object is used by one thread at a
// time. Distinct objects are independent.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "tests/integration/harness/fake_upstream.h"

namespace switchboard::testing {

struct ClientOptions {
  bool tls = false;
  std::string ca_file;      // trusted CA (PEM) for TLS; the peer is always verified
  std::string server_name;  // SNI and verified name; defaults to the host of host_port
  std::chrono::milliseconds timeout{10'000};  // per connect, write or read
  int receive_buffer = 0;  // SO_RCVBUF set before connecting (a slow reader's small window); 0: the system's
};

struct HttpResponse {
  std::string error;  // set when the exchange failed; status is then 0
  int status = 0;
  Headers headers;
  std::string body;

  bool ok() const { return error.empty(); }
  std::optional<std::string> Header(std::string_view name) const { return FindHeader(headers, name); }
  nlohmann::json Json() const { return nlohmann::json::parse(body, nullptr, false); }
};

// One item of a server-sent event stream, in arrival order.
struct SseItem {
  enum class Kind {
    kData,     // an event; text = its data (data lines joined by "\n")
    kComment,  // a line starting with ':'; text = the rest of the line
    kEnd,      // the response body ended properly
    kError,    // timeout, reset or a malformed body; text says which
  };
  Kind kind = Kind::kError;
  std::string text;
};
std::string SseKindName(SseItem::Kind kind);

// A streamed response being read. Created by HttpClient::Stream with its
// status and headers already read.
class SseStream {
 public:
  virtual ~SseStream() = default;
  virtual const HttpResponse& head() const = 0;  // error, status, headers; body empty
  // The next item; kEnd or kError repeat once reached.
  virtual SseItem Next(std::chrono::milliseconds timeout) = 0;
  // Reads the rest of the body (for a non-SSE answer, e.g. an error JSON).
  virtual std::string ReadToEnd(std::chrono::milliseconds timeout) = 0;
  // Drops the connection, as a client that goes away mid-stream.
  virtual void Close() = 0;

  // The next data event, end or error, skipping comments; all of it within
  // `timeout`, so a server that only ever sends keep-alives cannot stall a
  // test. Counts the skipped comments into `comments` when given.
  SseItem NextSkippingComments(std::chrono::milliseconds timeout, int* comments = nullptr);
};

// A keep-alive connection for several requests in a row.
class HttpConnection {
 public:
  virtual ~HttpConnection() = default;
  virtual const std::string& error() const = 0;  // set when connecting failed
  virtual HttpResponse Request(std::string_view method, std::string_view target, std::string_view body = "",
                               const Headers& headers = {}) = 0;
  // True when the server closes the connection (EOF or reset) within `timeout`.
  virtual bool WaitClosedByServer(std::chrono::milliseconds timeout) = 0;
};

class HttpClient {
 public:
  explicit HttpClient(ClientOptions options = {}) : options_(std::move(options)) {}

  // One request on a fresh connection. A Content-Type of application/json is
  // sent with a non-empty body unless `headers` names another.
  HttpResponse Request(std::string_view method, std::string_view host_port, std::string_view target,
                       std::string_view body = "", const Headers& headers = {}) const;
  HttpResponse Get(std::string_view host_port, std::string_view target) const {
    return Request("GET", host_port, target);
  }
  HttpResponse PostJson(std::string_view host_port, std::string_view target, const nlohmann::json& body) const {
    return Request("POST", host_port, target, body.dump());
  }

  // Sends a request on a fresh connection and reads the response head.
  std::unique_ptr<SseStream> Stream(std::string_view method, std::string_view host_port, std::string_view target,
                                    std::string_view body = "", const Headers& headers = {}) const;

  std::unique_ptr<HttpConnection> Connect(std::string_view host_port) const;

 private:
  ClientOptions options_;
};

}  // namespace switchboard::testing
