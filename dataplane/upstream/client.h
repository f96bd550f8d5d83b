#pragma once
// The upstream HTTP(S) client: Boost.Beast over TCP or OpenSSL, with per-thread
// keep-alive connection pools.
//
// Threading: the data plane runs one io_context per thread; each thread owns one
// ConnectionPool (not thread-safe) and every Call runs on that thread's
// coroutines. A Call lives on the frame of the request handling it.
//
// TLS: certificates are verified against OpenSSL's default store (the system CA
// store, or SSL_CERT_FILE / SSL_CERT_DIR when set), with SNI and a host-name
// check. There is no way to turn verification off.

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "absl/status/statusor.h"
#include "common/url.h"
#include "dataplane/providers/provider.h"
#include "dataplane/upstream/body_decoder.h"
#include "dataplane/upstream/response_head.h"

namespace switchboard::upstream {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

struct Timeouts {
  std::chrono::milliseconds connect{10'000};
  std::chrono::milliseconds first_byte{300'000};
  std::chrono::milliseconds idle{120'000};
};

// Why an exchange failed; drives the client's status (502/504) and, later,
// retries and metrics.
enum class Failure { kNone, kResolve, kConnect, kTls, kTimeout, kReset, kProtocol, kTooLarge, kCancelled };
std::string_view FailureName(Failure failure);

// The process (EMFILE) or the system (ENFILE) is out of file descriptors.
bool OutOfDescriptors(const beast::error_code& ec);

// A client TLS context for upstreams: verify_peer against the default store.
std::shared_ptr<net::ssl::context> MakeClientTlsContext();

struct Connection;

class ConnectionPool {
 public:
  ConnectionPool(net::any_io_executor executor, std::shared_ptr<net::ssl::context> tls);
  ~ConnectionPool();

  net::any_io_executor executor() const { return executor_; }
  net::ssl::context& tls() { return *tls_; }

  // An idle connection to `origin` that still looks alive, or nullptr.
  std::unique_ptr<Connection> TakeIdle(const std::string& origin);
  void PutIdle(const std::string& origin, std::unique_ptr<Connection> connection);
  size_t idle_count() const;
  // Closes the connections idle too long to be reused (PutIdle does it for
  // its origin; this, run now and then, for all, when no request comes).
  void CloseExpired();
  // Closes every idle connection, to any origin, so that the process has
  // descriptors again: for when it has run out of them. A warning says how
  // many; returns that number.
  size_t FreeDescriptors();

 private:
  net::any_io_executor executor_;
  std::shared_ptr<net::ssl::context> tls_;
  std::map<std::string, std::vector<std::unique_ptr<Connection>>> idle_;
};

// One request/response exchange with an upstream.
class Call {
 public:
  Call(ConnectionPool& pool, Timeouts timeouts);
  ~Call();
  Call(const Call&) = delete;
  Call& operator=(const Call&) = delete;

  // Connects (or reuses a pooled connection), sends the request and reads the
  // response header. Errors: UnavailableError (resolve/connect/TLS/reset),
  // DeadlineExceededError (timeouts), CancelledError (Cancel() was called).
  net::awaitable<absl::Status> Start(const providers::UpstreamRequest& request);

  int status() const;
  // A response header's value, empty when absent.
  std::string_view header(std::string_view name) const;

  // The next bytes of the body as they arrive; an empty view once the body is
  // complete. The view is valid until the next call.
  net::awaitable<absl::StatusOr<std::string_view>> ReadSome();
  // True when ReadSome has its answer without waiting for the network: body
  // bytes that came with the head or an earlier read (a stream's first
  // events often do), the body's end, or a malformed body.
  bool BodyReady();
  // The whole body; ResourceExhausted past `limit` bytes.
  net::awaitable<absl::StatusOr<std::string>> ReadAll(uint64_t limit);

  // Reads what is left of the body and drops it, for at most `limit`: a
  // stream whose [DONE] came before the end of its HTTP body can then give
  // its connection back to the pool instead of closing it. Changes neither
  // failure() nor anything a caller reads; on timeout the connection is
  // simply not reused.
  net::awaitable<void> FinishBody(std::chrono::milliseconds limit);
  // The body has been read to its end (FinishBody has nothing to wait for).
  bool body_done() const { return body_done_; }

  // Closes the connection: any pending operation completes at once with an
  // error, and later ones fail with CancelledError. Call from the Call's thread.
  void Cancel();
  bool cancelled() const { return cancelled_; }
  Failure failure() const { return failure_; }

 private:
  net::awaitable<absl::Status> Connect(const Url& url);
  net::awaitable<absl::Status> SendAndReadHeader(const providers::UpstreamRequest& request, bool& retryable);
  absl::Status Fail(Failure failure, const std::string& what, const beast::error_code& ec);
  // Sets decoder_ up for the body's framing; false (and body_done_) when the
  // response has no body.
  bool MakeDecoder();
  // Decodes what the connection's buffer holds, appending to body_; false
  // when the body is malformed.
  bool DecodeBuffered();
  absl::Status MalformedBody();
  // `ec` ended an operation because a timeout passed (the connect's, or the
  // connection's Deadline, which closes the socket: operation_aborted).
  bool TimedOut(const beast::error_code& ec) const;

  ConnectionPool& pool_;
  Timeouts timeouts_;
  std::string origin_;
  std::unique_ptr<Connection> connection_;
  std::optional<ResponseHeadParser> parser_;  // the head only; the body: decoder_
  std::optional<BodyDecoder> decoder_;
  std::string body_;  // what the last ReadSome returned (or BodyReady decoded for the next)
  bool ready_ = false;  // body_ holds BodyReady's answer for the next ReadSome
  size_t read_size_;
  bool cancelled_ = false;
  bool body_done_ = false;
  Failure failure_ = Failure::kNone;
};

}  // namespace switchboard::upstream
