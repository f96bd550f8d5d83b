#pragma once
// Pieces shared by the server's translation units (server.cc: listeners,
// sessions, admin; chat.cc: the chat-completions handler). Not a public API.

#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "common/random.h"
#include "dataplane/metrics/metrics.h"
#include "dataplane/providers/errors.h"
#include "dataplane/routing/snapshot.h"
#include "dataplane/server/request_parser.h"
#include "dataplane/upstream/client.h"
#include "dataplane/upstream/http_head.h"
#include "dataplane/upstream/write_now.h"

namespace switchboard::server {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
inline constexpr auto kUseTuple = net::as_tuple(net::use_awaitable);

// State shared by all threads.
struct ServerState {
  ServerState(routing::SnapshotStore& s, metrics::DataPlaneMetrics& m) : store(s), metrics(m) {}
  routing::SnapshotStore& store;
  metrics::DataPlaneMetrics& metrics;
  std::atomic<bool> draining{false};
  std::atomic<uint32_t> active_chats{0};  // chat requests in flight (bounded by the snapshot's limit)
  std::atomic<int> open_connections{0};
};

// An io_context whose pending handlers (suspended coroutines) can be destroyed
// before the objects they refer to.
class WorkerContext : public net::io_context {
 public:
  WorkerContext() : net::io_context(1) {}
  using net::io_context::shutdown;
};

class Responder;
class KeepAliveWait;

// SSE keep-alive comments for one worker's streamed requests while they wait
// for their upstream's head: a comment every `interval` of the request's, so
// that a slow model (or one reading a long prompt) does not look like a dead
// connection to the client or a proxy between. One timer per worker instead
// of one per request, and lazy: a request only joins a list (no timer start,
// no cancel, no timerfd_settime), and the timer, once armed, fires for the
// earliest comment due; one that finds none due arms itself for the next, or
// not at all when no request waits. The comments are written from the timer's
// handler with one non-blocking write each (Responder::SendSseCommentNow), so
// a comment never interrupts a write of the request's own.
class KeepAlives {
 public:
  explicit KeepAlives(net::any_io_executor executor) : timer_(std::move(executor)) {}
  KeepAlives(const KeepAlives&) = delete;
  KeepAlives& operator=(const KeepAlives&) = delete;

 private:
  friend class KeepAliveWait;
  using Clock = std::chrono::steady_clock;
  void Add(KeepAliveWait& wait);
  void Remove(KeepAliveWait& wait);
  void Arm(Clock::time_point when);
  void Tick();

  net::steady_timer timer_;
  bool armed_ = false;
  Clock::time_point armed_for_{};
  KeepAliveWait* first_ = nullptr;  // the waiting requests, in no order
};

// One streamed request waiting for its upstream's head, from construction to
// destruction (or until a comment finds the client gone: then `call` is
// cancelled). `interval` <= 0: no comments.
class KeepAliveWait {
 public:
  KeepAliveWait(KeepAlives& all, Responder& responder, upstream::Call& call, std::chrono::milliseconds interval);
  ~KeepAliveWait() { all_.Remove(*this); }
  KeepAliveWait(const KeepAliveWait&) = delete;
  KeepAliveWait& operator=(const KeepAliveWait&) = delete;

 private:
  friend class KeepAlives;
  KeepAlives& all_;
  Responder& responder_;
  upstream::Call& call_;
  std::chrono::milliseconds interval_;
  KeepAlives::Clock::time_point due_;
  bool linked_ = false;
  KeepAliveWait* prev_ = nullptr;
  KeepAliveWait* next_ = nullptr;
};

// One per thread: its io_context, upstream connection pool and random source.
// Only that thread touches it.
struct Worker {
  explicit Worker(std::shared_ptr<net::ssl::context> tls);
  // Suspended sessions hold references to `pool` and `idle_streams`: destroy
  // them first, while both still exist.
  ~Worker() { ioc.shutdown(); }
  WorkerContext ioc;
  upstream::ConnectionPool pool;
  Rng rng;
  // Client connections waiting for their next request; closed on shutdown.
  std::unordered_set<beast::tcp_stream*> idle_streams;
  KeepAlives keep_alives{ioc.get_executor()};
};

using Headers = std::vector<std::pair<std::string, std::string>>;

// Writes the response(s) of one request to the client connection. Every write
// has a timeout; a failed write marks the responder failed (client gone) and
// later writes are no-ops returning false.
class Responder {
 public:
  Responder(beast::tcp_stream& stream, bool keep_alive, std::string request_id,
            std::chrono::milliseconds write_timeout);

  void AddHeader(std::string name, std::string value) { extra_.emplace_back(std::move(name), std::move(value)); }
  void set_keep_alive(bool keep_alive) { keep_alive_ = keep_alive; }
  // Access-Control-Allow-Origin for every response: "*", an origin, or ""
  // (none: the browser's origin is not allowed).
  void set_allow_origin(std::string origin) { allow_origin_ = std::move(origin); }
  bool keep_alive() const { return keep_alive_; }

  // Arguments are taken by value: GCC 12 has bugs with temporaries bound to
  // references across co_await, and these are often called with temporaries.
  net::awaitable<bool> SendBody(http::status status, std::string body, std::string_view content_type,
                                Headers headers = {});
  net::awaitable<bool> SendJson(int status, std::string body, Headers headers = {});
  net::awaitable<bool> SendError(providers::ClientError error, Headers headers = {});

  // Server-sent events: a 200 with chunked transfer encoding, then raw
  // already-formatted SSE text per SendSse, then the last chunk. EndSse
  // sends its `text` (the last events) and the last chunk in one write.
  // BeginSse(hold = true) keeps the head for the next write (the first
  // events, in one write with it) or FlushHead, whichever comes first.
  net::awaitable<bool> BeginSse(bool hold = false);
  net::awaitable<bool> FlushHead();
  bool head_held() const { return !held_head_.empty(); }
  net::awaitable<bool> SendSse(std::string_view text);
  // SendSse without a coroutine, for a stream's every event: the chunk in one
  // non-blocking write. What the socket does not take is held, to go out
  // first with the next write (the relay flushes it with FlushHead before it
  // waits for the upstream again). False when it was not tried (bytes are
  // held already: SendSse then waits for the client) or the client is gone.
  bool SendSseNow(std::string_view text);
  net::awaitable<bool> EndSse(std::string_view text = {});
  // An SSE comment while the answer is awaited (a keep-alive), from a plain
  // completion handler: the SSE head first if it is not out yet, and the
  // comment, in one non-blocking write. What the socket does not take goes
  // out before the next write, and until it has, later comments are skipped
  // (the client is not reading). False when the client is gone.
  bool SendSseCommentNow(std::string_view comment);

  bool started() const { return started_; }  // headers are on the wire
  bool failed() const { return failed_; }
  int status() const { return status_; }
  const std::string& request_id() const { return request_id_; }
  std::chrono::steady_clock::time_point first_byte_time() const { return first_byte_; }

 private:
  // The status line, the headers every response carries, then `extra_` and
  // `*headers` (a later header replaces an earlier one of the same name).
  void WriteHead(upstream::HeadWriter& head, int status, std::string_view content_type, const Headers* headers);
  // The SSE response's head; the response counts as started from here.
  std::string SseHead();
  // Writes a held head first, then `buffers`.
  net::awaitable<bool> Write(std::array<net::const_buffer, 3> buffers);
  // `buffers` in one non-blocking write, what the socket does not take held
  // (after what is held already); false when the client is gone.
  template <size_t N>
  bool WriteNowOrHold(std::array<net::const_buffer, N>& buffers);
  // One chunk of a chunked body holding `text`, followed by `after` (the
  // chunk's closing "\r\n", or that and the last chunk).
  net::awaitable<bool> WriteChunk(std::string_view text, std::string_view after);

  beast::tcp_stream& stream_;
  bool keep_alive_;
  std::string request_id_;
  std::chrono::milliseconds write_timeout_;
  Headers extra_;
  std::string allow_origin_ = "*";
  // Bytes that go out first with the next write: BeginSse(hold = true)'s
  // head, or what the socket did not take of SendSseCommentNow's or
  // SendSseNow's.
  std::string held_head_;
  bool started_ = false;
  bool failed_ = false;
  int status_ = 0;
  std::chrono::steady_clock::time_point first_byte_{};
};

// Notices a client that closes its connection while its request is served
// (the socket turns readable with EOF), and runs `on_gone` at once — the chat
// handler uses it to cancel the upstream request. Lives on the session's
// frame; Stop() must be called before the next read on the socket.
class DisconnectWatch {
 public:
  explicit DisconnectWatch(beast::tcp_stream& stream);
  ~DisconnectWatch();
  void Start();
  void Stop();
  void set_on_gone(std::function<void()> on_gone) { state_->on_gone = std::move(on_gone); }
  bool client_gone() const { return state_->gone; }

 private:
  struct State {
    bool stopped = false;
    bool gone = false;
    char peeked = 0;  // the peek's buffer; the byte stays in the socket
    std::function<void()> on_gone;
  };
  // The peek's completion: runs on the session's thread.
  static void Woke(State& state, const beast::error_code& ec);

  beast::tcp_stream& stream_;
  std::shared_ptr<State> state_;
  bool running_ = false;
};

// Everything a handler needs about the request it serves.
struct RequestContext {
  Worker& worker;
  ServerState& state;
  std::shared_ptr<const routing::Snapshot> snapshot;
  const RequestParser& request;  // its head and body read
  Responder& responder;
  DisconnectWatch& watch;
  std::chrono::steady_clock::time_point start;
  const routing::ClientProfile* profile = nullptr;  // the client endpoint, or null for /v1
};

// POST .../chat/completions.
net::awaitable<void> HandleChatCompletions(RequestContext& ctx);

}  // namespace switchboard::server
