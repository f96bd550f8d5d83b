#include "dataplane/server/server.h"

#include <random>
#include <thread>

#include <boost/asio/signal_set.hpp>
#include <nlohmann/json.hpp>

#include "common/log.h"
#include "dataplane/server/internal.h"
#include "dataplane/server/routes.h"
#include "dataplane/upstream/deadline.h"

namespace switchboard::server {

// ---------------------------------------------------------------------------
// Worker, Responder, DisconnectWatch

namespace {

// One chunk of a chunked body holding `text`, followed by `after` (the
// chunk's closing "\r\n", or that and the last chunk), as the buffers of one
// write; `prefix` holds the chunk's size line.
std::array<net::const_buffer, 3> ChunkBuffers(std::string_view text, std::string_view after, char (&prefix)[24]) {
  std::string_view frame = upstream::ChunkPrefix(text.size(), prefix);
  return {net::buffer(frame.data(), frame.size()), net::buffer(text.data(), text.size()),
          net::buffer(after.data(), after.size())};
}

}  // namespace

Worker::Worker(std::shared_ptr<net::ssl::context> tls)
    : pool(ioc.get_executor(), std::move(tls)), rng(std::random_device{}()) {
  // The first socket of an io_context creates its reactor (an epoll
  // descriptor and an eventfd): do it now. Left to the first connection handed
  // to this worker, it needed descriptors when the process may have none left,
  // and the accept threw (EMFILE) and ended the accept loop.
  tcp::socket first_socket(ioc);
}

Responder::Responder(beast::tcp_stream& stream, bool keep_alive, std::string request_id,
                     std::chrono::milliseconds write_timeout)
    : stream_(stream), keep_alive_(keep_alive), request_id_(std::move(request_id)), write_timeout_(write_timeout) {}

void Responder::WriteHead(upstream::HeadWriter& head, int status, std::string_view content_type,
                          const Headers* headers) {
  head.StatusLine(status);
  head.Field("Server", "switchboard");
  head.Field("x-request-id", request_id_);
  // Browsers (JanitorAI) call from other origins.
  if (!allow_origin_.empty()) {
    head.Field("Access-Control-Allow-Origin", allow_origin_);
    head.Field("Access-Control-Expose-Headers", "x-request-id, x-switchboard-model");
    if (allow_origin_ != "*") head.Field("Vary", "Origin");
  }
  head.Field("Content-Type", content_type);
  // A later header of the same name replaces an earlier one.
  for (size_t i = 0; i < extra_.size(); ++i) {
    const auto& [name, value] = extra_[i];
    if (upstream::HasField(extra_, name, i + 1) || (headers != nullptr && upstream::HasField(*headers, name))) continue;
    head.Field(name, value);
  }
  if (headers != nullptr) {
    for (size_t i = 0; i < headers->size(); ++i) {
      const auto& [name, value] = (*headers)[i];
      if (!upstream::HasField(*headers, name, i + 1)) head.Field(name, value);
    }
  }
  // HTTP/1.1 keeps the connection by default.
  if (!keep_alive_) head.Field("Connection", "close");
}

net::awaitable<bool> Responder::Write(std::array<net::const_buffer, 3> buffers) {
  // The held head is sent from a string of this frame's, not from held_head_
  // (cleared now: a later write must not send it again).
  std::string head = std::move(held_head_);
  held_head_.clear();
  std::array<net::const_buffer, 4> all = {net::buffer(head), buffers[0], buffers[1], buffers[2]};
  beast::error_code ec;
  if (upstream::WriteNow(stream_.socket(), all, ec)) co_return true;
  if (ec) {
    failed_ = true;
    co_return false;
  }
  // The client's socket is full (rare): wait for it, within the write
  // timeout, on the stream's own timer, stopped again after (the session's
  // reads time themselves with its Deadline).
  stream_.expires_after(write_timeout_);
  auto [wec, n] = co_await net::async_write(stream_, all, kUseTuple);
  stream_.expires_never();
  if (wec) failed_ = true;
  co_return !failed_;
}

net::awaitable<bool> Responder::SendBody(http::status status, std::string body, std::string_view content_type,
                                         Headers headers) {
  if (failed_ || started_) co_return false;
  upstream::HeadWriter head;
  WriteHead(head, static_cast<int>(status), content_type, &headers);
  head.ContentLength(body.size());
  started_ = true;
  status_ = static_cast<int>(status);
  first_byte_ = std::chrono::steady_clock::now();
  const std::string& text = head.End();
  bool sent = co_await Write({net::buffer(text), net::buffer(body), net::const_buffer()});
  co_return sent;
}

net::awaitable<bool> Responder::SendJson(int status, std::string body, Headers headers) {
  bool sent = co_await SendBody(static_cast<http::status>(status), std::move(body), "application/json",
                                std::move(headers));
  co_return sent;
}

net::awaitable<bool> Responder::SendError(providers::ClientError error, Headers headers) {
  std::string body = providers::ErrorBody(error);
  bool sent = co_await SendJson(error.status, std::move(body), std::move(headers));
  co_return sent;
}

std::string Responder::SseHead() {
  upstream::HeadWriter head;
  WriteHead(head, 200, "text/event-stream; charset=utf-8", nullptr);
  head.Field("Cache-Control", "no-cache");
  // Tell nginx-style proxies (Kubernetes ingresses) not to buffer the stream.
  head.Field("X-Accel-Buffering", "no");
  head.Field("Transfer-Encoding", "chunked");
  started_ = true;
  status_ = 200;
  first_byte_ = std::chrono::steady_clock::now();
  return head.End();
}

net::awaitable<bool> Responder::BeginSse(bool hold) {
  if (failed_ || started_) co_return false;
  std::string text = SseHead();
  if (hold) {
    held_head_ = std::move(text);
    co_return true;
  }
  bool sent = co_await Write({net::buffer(text), net::const_buffer(), net::const_buffer()});
  co_return sent;
}

template <size_t N>
bool Responder::WriteNowOrHold(std::array<net::const_buffer, N>& buffers) {
  beast::error_code ec;
  if (upstream::WriteNow(stream_.socket(), buffers, ec)) return true;
  if (ec) {
    failed_ = true;
    return false;
  }
  for (const auto& buffer : buffers) held_head_.append(static_cast<const char*>(buffer.data()), buffer.size());
  return true;
}

bool Responder::SendSseCommentNow(std::string_view comment) {
  if (failed_) return false;
  if (started_ && !held_head_.empty()) return true;  // the last one is still waiting for the client
  std::string out = started_ ? std::string() : SseHead();
  char prefix[24];
  out += upstream::ChunkPrefix(comment.size(), prefix);
  out += comment;
  out += upstream::kChunkSuffix;
  std::array<net::const_buffer, 1> buffers = {net::buffer(out)};
  return WriteNowOrHold(buffers);
}

bool Responder::SendSseNow(std::string_view text) {
  if (failed_ || !started_ || !held_head_.empty()) return false;
  if (text.empty()) return true;
  char prefix[24];
  std::array<net::const_buffer, 3> buffers = ChunkBuffers(text, upstream::kChunkSuffix, prefix);
  return WriteNowOrHold(buffers);
}

net::awaitable<bool> Responder::FlushHead() {
  if (failed_ || held_head_.empty()) co_return !failed_;
  bool sent = co_await Write({net::const_buffer(), net::const_buffer(), net::const_buffer()});
  co_return sent;
}

net::awaitable<bool> Responder::WriteChunk(std::string_view text, std::string_view after) {
  char prefix[24];
  bool sent = co_await Write(ChunkBuffers(text, after, prefix));
  co_return sent;
}

net::awaitable<bool> Responder::SendSse(std::string_view text) {
  if (failed_ || !started_) co_return false;
  if (text.empty()) co_return true;
  bool sent = co_await WriteChunk(text, upstream::kChunkSuffix);
  co_return sent;
}

net::awaitable<bool> Responder::EndSse(std::string_view text) {
  if (failed_ || !started_) co_return false;
  if (text.empty()) {
    bool sent = co_await Write({net::buffer(upstream::kLastChunk.data(), upstream::kLastChunk.size()),
                                net::const_buffer(), net::const_buffer()});
    co_return sent;
  }
  bool sent = co_await WriteChunk(text, upstream::kChunkSuffixAndLastChunk);
  co_return sent;
}

DisconnectWatch::DisconnectWatch(beast::tcp_stream& stream) : stream_(stream), state_(std::make_shared<State>()) {}

DisconnectWatch::~DisconnectWatch() { Stop(); }

void DisconnectWatch::Start() {
  if (running_) return;
  running_ = true;
  // A plain completion handler (no coroutine of its own): one per request. A
  // one-byte peek rather than async_wait: Asio tries it at once and then waits
  // on the socket's existing epoll registration, where a wait would modify the
  // registration (an epoll_ctl per request).
  stream_.socket().async_receive(net::buffer(&state_->peeked, 1), tcp::socket::message_peek,
                                 [state = state_](const beast::error_code& ec, size_t) { Woke(*state, ec); });
}

void DisconnectWatch::Stop() {
  if (!running_) return;
  running_ = false;
  state_->stopped = true;
  state_->on_gone = nullptr;
  // Only the watch's wait is pending on the socket at this point.
  beast::error_code ec;
  stream_.socket().cancel(ec);
}

void DisconnectWatch::Woke(State& state, const beast::error_code& ec) {
  // After Stop() the socket may already be gone: touch nothing but `state`.
  if (state.stopped) return;
  // EOF (the client closed) or a reset: gone. A byte peeked: the client sent
  // more (a pipelined request); it is alive, and a failed write will tell us
  // if it leaves later.
  bool gone = static_cast<bool>(ec);
  if (gone) {
    state.gone = true;
    if (state.on_gone) state.on_gone();
  }
}

// ---------------------------------------------------------------------------
// Routing of paths

namespace {

// NormalizePath, MatchRoute and MatchProfileRoute: routes.h.

nlohmann::json ModelObject(const std::string& id) {
  return {{"id", id}, {"object", "model"}, {"created", 0}, {"owned_by", "switchboard"}};
}

std::string ModelList(nlohmann::json data) {
  return nlohmann::json{{"object", "list"}, {"data", std::move(data)}}.dump();
}

// The answer to a CORS preflight. The headers a browser asks to send are
// allowed on top of the ones our clients use (the openai SDK in a browser
// adds its own x-stainless-* headers).
Headers PreflightHeaders(std::string_view requested_headers) {
  std::string allow = "Authorization, Content-Type, X-API-Key";
  if (!requested_headers.empty()) allow += ", " + std::string(requested_headers);
  return {{"Access-Control-Allow-Methods", "GET, POST, OPTIONS"},
          {"Access-Control-Allow-Headers", std::move(allow)},
          {"Access-Control-Max-Age", "86400"}};
}

std::string NewRequestId(Rng& rng) {
  static constexpr char kHex[] = "0123456789abcdef";
  constexpr std::string_view kPrefix = "req_";
  std::string id(kPrefix.size() + 24, '\0');  // "req_" + 24 hex digits
  kPrefix.copy(id.data(), kPrefix.size());
  char* out = id.data() + kPrefix.size();
  uint64_t a = rng(), b = rng();
  for (int i = 0; i < 16; ++i) out[i] = kHex[(a >> (i * 4)) & 0xF];
  for (int i = 0; i < 8; ++i) out[16 + i] = kHex[(b >> (i * 4)) & 0xF];
  return id;
}

net::awaitable<void> MethodNotAllowed(RequestContext& ctx, const std::string& path, std::string allow) {
  providers::ClientError error{405, "invalid_request_error", "method_not_allowed",
                               std::string(ctx.request.method_string()) + " is not allowed on " + path, ""};
  Headers headers;
  headers.emplace_back("Allow", std::move(allow));
  co_await ctx.responder.SendError(error, headers);
}

net::awaitable<void> SendModelList(RequestContext& ctx) {
  nlohmann::json data = nlohmann::json::array();
  if (ctx.profile != nullptr && ctx.profile->generic_models) {
    data.push_back(ModelObject(ctx.profile->generic_model));
  } else {
    for (const auto& model : ctx.snapshot->models()) data.push_back(ModelObject(model->name));
  }
  co_await ctx.responder.SendJson(200, ModelList(std::move(data)));
}

net::awaitable<void> Dispatch(RequestContext& ctx) {
  const auto& req = ctx.request;
  std::string path = NormalizePath(req.target());
  std::string model_id;
  const auto& client = ctx.snapshot->client();
  std::string_view rest;
  ctx.profile = client.Match(path, &rest);
  Route route = ctx.profile != nullptr ? MatchProfileRoute(rest, &model_id) : MatchRoute(path, &model_id);
  auto& responder = ctx.responder;
  responder.set_allow_origin(client.AllowOrigin(req.field("Origin")));

  if (req.method() == http::verb::options) {
    co_await responder.SendBody(
        http::status::no_content, "", "text/plain",
        PreflightHeaders(req.field("Access-Control-Request-Headers")));
    co_return;
  }
  if (!client.client_keys.empty()) {
    std::string_view presented = PresentedClientKey(req.field("Authorization"), req.field("X-API-Key"));
    const routing::ClientKey* key = client.Authenticate(presented);
    if (key == nullptr) {
      Headers headers;
      headers.emplace_back("WWW-Authenticate", "Bearer");
      co_await responder.SendError(
          providers::MakeError(401, "invalid_request_error", "invalid_api_key",
                               presented.empty()
                                   ? "This router needs an API key: send Authorization: Bearer <key> or X-API-Key."
                                   : "Incorrect API key provided."),
          headers);
      co_return;
    }
    std::chrono::steady_clock::duration wait{};
    if (!key->Admit(std::chrono::steady_clock::now(), &wait)) {
      auto seconds = std::max<int64_t>(1, std::chrono::ceil<std::chrono::seconds>(wait).count());
      Headers headers;
      headers.emplace_back("Retry-After", std::to_string(seconds));
      co_await responder.SendError(
          providers::MakeError(429, "rate_limit_error", "client_rate_limited",
                               "Too many requests for this API key; try again in " + std::to_string(seconds) + " s"),
          headers);
      co_return;
    }
  }
  switch (route) {
    case Route::kChat:
      if (req.method() != http::verb::post) co_return co_await MethodNotAllowed(ctx, path, "POST, OPTIONS");
      co_await HandleChatCompletions(ctx);
      co_return;
    case Route::kModels: {
      if (req.method() != http::verb::get) co_return co_await MethodNotAllowed(ctx, path, "GET, OPTIONS");
      co_await SendModelList(ctx);
      co_return;
    }
    case Route::kModel:
      if (req.method() != http::verb::get) co_return co_await MethodNotAllowed(ctx, path, "GET, OPTIONS");
      if (ctx.snapshot->Find(model_id) == nullptr &&
          !(ctx.profile != nullptr && ctx.profile->generic_models && model_id == ctx.profile->generic_model)) {
        co_await responder.SendError(providers::MakeError(404, "invalid_request_error", "model_not_found",
                                      "The model '" + model_id + "' does not exist", "model"));
      } else {
        co_await responder.SendJson(200, ModelObject(model_id).dump());
      }
      co_return;
    case Route::kUnknown:
      co_await responder.SendError(providers::MakeError(404, "invalid_request_error", "not_found",
                                    "No route for " + std::string(req.method_string()) + " " + path +
                                        "; this server serves /v1/models and /v1/chat/completions",
                                    ""));
      co_return;
  }
}

// Marks a session idle (waiting for its next request) so shutdown can close it.
class IdleMark {
 public:
  IdleMark(Worker& worker, beast::tcp_stream& stream) : worker_(worker), stream_(&stream) {
    worker_.idle_streams.insert(stream_);
  }
  ~IdleMark() { worker_.idle_streams.erase(stream_); }

 private:
  Worker& worker_;
  beast::tcp_stream* stream_;
};

// Limits and timeouts while no snapshot exists (managed mode, before the
// control plane's first config).
const routing::Settings kNoConfigSettings{};

// Reads one request and answers 503: there is no config to serve it with yet.
net::awaitable<void> RespondNoConfig(beast::tcp_stream& stream, beast::flat_buffer& buffer, Worker& worker) {
  http::request_parser<http::string_body> parser;
  parser.header_limit(kHeaderLimitBytes);
  parser.body_limit(kNoConfigSettings.body_limit_bytes);
  stream.expires_after(kNoConfigSettings.body_timeout);
  auto [ec, n] = co_await http::async_read(stream, buffer, parser, kUseTuple);
  if (ec) co_return;
  Responder responder(stream, false, NewRequestId(worker.rng), kNoConfigSettings.idle_timeout);
  Headers headers;
  headers.emplace_back("Retry-After", "1");
  co_await responder.SendError(providers::MakeError(503, "server_error", "config_not_loaded",
                                                    "No config yet: this data plane is waiting for its control plane",
                                                    ""),
                               headers);
}

// Beast's http::async_read reads at most this much at a time.
constexpr uint64_t kLargestBodyRead = 64 * 1024;

// A failed accept (out of file descriptors, most likely) is tried again after
// kAcceptRetry; while they fail, a warning says so every kAcceptWarnEvery.
constexpr std::chrono::milliseconds kAcceptRetry{50};
constexpr std::chrono::seconds kAcceptWarnEvery{10};
// How often each worker closes the upstream connections idle too long to be
// reused, also when no request comes to its pool.
constexpr std::chrono::seconds kIdleSweepEvery{15};

net::awaitable<void> SweepIdleConnections(Worker& worker) {
  net::steady_timer timer(worker.ioc);
  for (;;) {
    timer.expires_after(kIdleSweepEvery);
    auto [ec] = co_await timer.async_wait(kUseTuple);
    if (ec) co_return;
    worker.pool.CloseExpired();
  }
}

// Feeds what `buffer` holds to `parser` (the head, then as much of the body as
// is there) and consumes what it took. need_more is not an error: the caller
// reads the rest from the socket with the same parser.
beast::error_code ParseBuffered(RequestParser& parser, beast::flat_buffer& buffer) {
  beast::error_code ec;
  while (buffer.size() > 0 && !parser.is_done()) {
    const size_t used = parser.put(buffer.data(), ec);
    buffer.consume(used);
    if (ec == http::error::need_more) return {};
    if (ec || used == 0) break;
  }
  return ec;
}

// Reads from the socket into `buffer` and feeds `parser` until its head
// (`head_only`) or the whole request is read, as Beast's http::async_read
// does: reads as large as the buffer has room for (at least 512 bytes, at
// most kLargestBodyRead), and at the end of the stream, the parser's
// judgement of what came (end_of_stream when nothing did). What `buffer`
// already held, the caller has fed (ParseBuffered).
net::awaitable<beast::error_code> ReadRequest(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                              RequestParser& parser, bool head_only) {
  for (;;) {
    if (head_only ? parser.is_header_done() : parser.is_done()) co_return beast::error_code{};
    const size_t room = std::clamp<size_t>(buffer.capacity() - buffer.size(), 512, kLargestBodyRead);
    auto [ec, n] = co_await stream.socket().async_read_some(buffer.prepare(room), kUseTuple);
    buffer.commit(n);
    if (ec == net::error::eof) {
      beast::error_code eof;
      if (parser.got_some()) {
        parser.put_eof(eof);
      } else {
        eof = http::error::end_of_stream;
      }
      co_return eof;
    }
    if (ec) co_return ec;
    if (beast::error_code pec = ParseBuffered(parser, buffer)) co_return pec;
  }
}

net::awaitable<void> RunSession(tcp::socket socket, Worker& worker, ServerState& state) {
  state.open_connections.fetch_add(1);
  beast::tcp_stream stream(std::move(socket));
  // The reads' timeouts (see upstream/deadline.h): passing one closes the
  // socket, which ends the read with operation_aborted.
  upstream::Deadline deadline(stream.get_executor(), [&stream] {
    beast::error_code ec;
    stream.socket().close(ec);
  });
  beast::flat_buffer buffer;
  bool first = true;
  for (;;) {
    auto snapshot = state.store.Get();
    const auto& settings = snapshot != nullptr ? snapshot->settings() : kNoConfigSettings;
    if (buffer.size() == 0) {
      // Wait for the first byte of the next request (idle keep-alive time).
      if (state.draining.load()) break;
      IdleMark idle(worker, stream);
      deadline.ExpiresAfter(first ? settings.header_timeout : settings.idle_timeout);
      // From the socket, not through tcp_stream (its timer is not used here):
      // the read every upstream body read is, so its code is warm.
      auto [ec, n] = co_await stream.socket().async_read_some(buffer.prepare(4096), kUseTuple);
      deadline.Clear();
      if (ec) break;
      buffer.commit(n);
      snapshot = state.store.Get();
    }
    if (snapshot == nullptr) {
      co_await RespondNoConfig(stream, buffer, worker);
      break;
    }
    first = false;
    RequestParser parser;
    parser.header_limit(kHeaderLimitBytes);
    parser.body_limit(snapshot->settings().body_limit_bytes);
    parser.eager(true);
    // What has arrived is parsed at once (for a small request, all of it came
    // with the first read); the socket is read only for what is missing.
    beast::error_code hec = ParseBuffered(parser, buffer);
    if (!hec && !parser.is_header_done()) {
      deadline.ExpiresAfter(snapshot->settings().header_timeout);
      hec = co_await ReadRequest(stream, buffer, parser, true);
      deadline.Clear();
    }
    std::string request_id = NewRequestId(worker.rng);
    Responder early(stream, false, request_id, snapshot->settings().idle_timeout);
    if (hec == http::error::body_limit) {
      // Beast checks Content-Length against the body limit with the header.
      co_await early.SendError(providers::MakeError(
          413, "invalid_request_error", "request_too_large",
          "Request body is larger than the limit of " + std::to_string(snapshot->settings().body_limit_bytes) +
              " bytes"));
      break;
    }
    if (hec == http::error::header_limit) {
      co_await early.SendError(providers::MakeError(431, "invalid_request_error", "headers_too_large", "Request headers are too large", ""));
      break;
    }
    if (hec) {
      if (hec != http::error::end_of_stream && hec != beast::error::timeout && hec != net::error::eof &&
          hec != net::error::connection_reset && hec != net::error::operation_aborted) {
        co_await early.SendError(providers::MakeError(400, "invalid_request_error", "bad_request", "Malformed HTTP request", ""));
      }
      break;
    }
    auto too_large = [&]() -> net::awaitable<void> {
      co_await early.SendError(providers::MakeError(413, "invalid_request_error", "request_too_large",
                                "Request body is larger than the limit of " +
                                    std::to_string(snapshot->settings().body_limit_bytes) + " bytes",
                                ""));
    };
    if (auto length = parser.content_length(); length && *length > snapshot->settings().body_limit_bytes) {
      co_await too_large();
      break;
    }
    if (!parser.is_done() && upstream::SameFieldName(parser.field("Expect"), "100-continue")) {
      // curl sends Expect for larger bodies and waits for this before sending.
      http::response<http::empty_body> cont{http::status::continue_, 11};
      deadline.ExpiresAfter(snapshot->settings().body_timeout);
      auto [cec, cn] = co_await http::async_write(stream, cont, kUseTuple);
      if (cec) break;
    }
    beast::error_code bec;
    if (!parser.is_done()) {
      // The rest of a large body in reads as large as Beast makes them (64
      // KiB), not the 4 KiB the buffer was made for: a conversation of a
      // megabyte in 16 receives instead of 256.
      if (auto left = parser.content_length_remaining(); left && *left > buffer.capacity() - buffer.size()) {
        buffer.reserve(buffer.size() + static_cast<size_t>(std::min<uint64_t>(*left, kLargestBodyRead)));
      }
      deadline.ExpiresAfter(snapshot->settings().body_timeout);
      bec = co_await ReadRequest(stream, buffer, parser, false);
      deadline.Clear();
    }
    if (bec == http::error::body_limit) {
      co_await too_large();
      break;
    }
    if (bec) break;
    // The read buffer (4 KiB or more) is not needed while the request is
    // served, which for a stream is minutes; thousands of streams are held.
    if (buffer.size() == 0) buffer.shrink_to_fit();

    bool keep_alive = parser.keep_alive() && !state.draining.load();
    Responder responder(stream, keep_alive, request_id, snapshot->settings().idle_timeout);
    DisconnectWatch watch(stream);
    RequestContext ctx{worker, state, snapshot, parser, responder, watch, std::chrono::steady_clock::now()};
    co_await Dispatch(ctx);
    watch.Stop();
    // The watch saw the client close or reset (its peek may also have left
    // Asio believing the socket drained, so a next read would wait for an edge
    // that already came): nothing more to read.
    if (watch.client_gone()) break;
    if (!responder.started()) {
      // A handler that returned without answering: only when the client left.
      break;
    }
    if (responder.failed() || !responder.keep_alive() || state.draining.load()) break;
  }
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream.close();
  state.open_connections.fetch_sub(1);
}

// The admin port: /healthz (the process serves), /readyz (a config is loaded and
// the server is not draining), /metrics (Prometheus text format).
net::awaitable<void> RunAdminSession(tcp::socket socket, ServerState& state) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  for (;;) {
    http::request<http::string_body> req;
    stream.expires_after(std::chrono::seconds(30));
    auto [ec, n] = co_await http::async_read(stream, buffer, req, kUseTuple);
    if (ec) break;
    http::response<http::string_body> res{http::status::ok, 11};
    res.set(http::field::content_type, "application/json");
    std::string path = NormalizePath(req.target());
    if (path == "/healthz") {
      res.body() = R"({"status":"ok"})";
    } else if (path == "/metrics") {
      res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
      res.body() = state.metrics.Serialize();
    } else if (path == "/readyz") {
      bool loaded = state.store.Get() != nullptr;
      bool ready = loaded && !state.draining.load();
      res.result(ready ? http::status::ok : http::status::service_unavailable);
      res.body() = ready ? R"({"status":"ready"})" : loaded ? R"({"status":"draining"})" : R"({"status":"no config yet"})";
    } else {
      res.result(http::status::not_found);
      res.body() = R"({"error":{"message":"not found; try /healthz, /readyz or /metrics","type":"invalid_request_error","code":"not_found","param":null}})";
    }
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    auto [wec, wn] = co_await http::async_write(stream, res, kUseTuple);
    if (wec || !req.keep_alive()) break;
  }
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
}

absl::StatusOr<tcp::endpoint> ParseListen(const std::string& text) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos) return absl::InvalidArgumentError("'" + text + "' is not HOST:PORT");
  std::string host = text.substr(0, colon);
  std::string port = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty() || host == "*") host = "0.0.0.0";
  if (host == "localhost") host = "127.0.0.1";
  beast::error_code ec;
  auto address = net::ip::make_address(host, ec);
  if (ec) return absl::InvalidArgumentError("'" + text + "': '" + host + "' is not an IP address");
  char* end = nullptr;
  long value = std::strtol(port.c_str(), &end, 10);
  if (port.empty() || *end != '\0' || value < 0 || value > 65535) {
    return absl::InvalidArgumentError("'" + text + "': port must be 0-65535");
  }
  return tcp::endpoint(address, static_cast<unsigned short>(value));
}

std::string EndpointString(const tcp::endpoint& ep) {
  auto address = ep.address();
  std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return host + ":" + std::to_string(ep.port());
}

absl::Status BindAcceptor(tcp::acceptor& acceptor, const std::string& listen) {
  auto endpoint = ParseListen(listen);
  if (!endpoint.ok()) return endpoint.status();
  beast::error_code ec;
  acceptor.open(endpoint->protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(*endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return absl::UnavailableError("cannot listen on " + listen + ": " + ec.message());
  return absl::OkStatus();
}

}  // namespace

// ---------------------------------------------------------------------------
// Server

struct Server::Impl {
  Impl(ServerOptions opts, routing::SnapshotStore& store, metrics::DataPlaneMetrics& metrics)
      : options(std::move(opts)), state(store, metrics) {
    int threads = options.threads > 0 ? options.threads : static_cast<int>(std::thread::hardware_concurrency());
    if (threads < 1) threads = 1;
    auto tls = upstream::MakeClientTlsContext();
    for (int i = 0; i < threads; ++i) workers.push_back(std::make_unique<Worker>(tls));
    api_acceptor.emplace(workers[0]->ioc);
    admin_acceptor.emplace(workers[0]->ioc);
  }

  // The API's connections go to the workers in turn.
  net::awaitable<void> AcceptLoop() {
    co_await AcceptAlways(*api_acceptor, /*all_workers=*/true, [this](Worker& worker, tcp::socket socket) {
      beast::error_code opt_ec;
      socket.set_option(tcp::no_delay(true), opt_ec);
      net::co_spawn(worker.ioc, RunSession(std::move(socket), worker, state), net::detached);
    });
  }

  net::awaitable<void> AdminAcceptLoop() {
    co_await AcceptAlways(*admin_acceptor, /*all_workers=*/false, [this](Worker& worker, tcp::socket socket) {
      net::co_spawn(worker.ioc, RunAdminSession(std::move(socket), state), net::detached);
    });
  }

  // Runs AcceptBatches until `acceptor` is closed. A detached coroutine's
  // exception would end it without a word, and the router would stop taking
  // connections: it is logged and the loop starts over.
  template <typename Serve>
  net::awaitable<void> AcceptAlways(tcp::acceptor& acceptor, bool all_workers, Serve serve) {
    for (;;) {
      std::string error;
      try {
        co_await AcceptBatches(acceptor, all_workers, serve);
        co_return;  // the acceptor was closed
      } catch (const std::exception& e) {
        error = e.what();
      }
      log::Error("accepting connections failed; trying again", {{"error", error}});
      net::steady_timer pause(workers[0]->ioc);
      pause.expires_after(kAcceptRetry);
      co_await pause.async_wait(kUseTuple);
      if (!acceptor.is_open()) co_return;
    }
  }

  // Accepts in batches: once the listening socket turns readable, every
  // connection already waiting is taken (non-blocking accepts until none is
  // left) and handed to serve(worker, socket), to the workers in turn (or to
  // the first one only: all_workers false). An awaited accept per connection
  // takes one per pass of the event loop, and under load a pass runs hundreds
  // of handlers: the new client waited for all of them before its request
  // was even read. A failed accept (out of file descriptors, most likely)
  // leaves the connection queued and is tried again after kAcceptRetry, not
  // in a busy loop; out of descriptors, the idle upstream connections are
  // closed first.
  template <typename Serve>
  net::awaitable<void> AcceptBatches(tcp::acceptor& acceptor, bool all_workers, Serve& serve) {
    size_t next = 0;
    beast::error_code nb_ec;
    acceptor.non_blocking(true, nb_ec);
    net::steady_timer backoff(workers[0]->ioc);
    // While accepts keep failing, a warning every kAcceptWarnEvery with the count.
    int failures = 0;
    std::chrono::steady_clock::time_point warned{};
    for (;;) {
      auto [wait_ec] = co_await acceptor.async_wait(tcp::acceptor::wait_read, kUseTuple);
      if (!acceptor.is_open() || wait_ec == net::error::operation_aborted) co_return;
      if (wait_ec) {  // then try the accepts anyway, after a pause
        log::Warn("waiting for connections failed", {{"error", wait_ec.message()}});
        backoff.expires_after(kAcceptRetry);
        co_await backoff.async_wait(kUseTuple);
        if (!acceptor.is_open()) co_return;
      }
      for (;;) {
        Worker& worker = *workers[all_workers ? next % workers.size() : 0];
        beast::error_code ec;
        tcp::socket socket(worker.ioc);
        acceptor.accept(socket, ec);
        if (ec == net::error::would_block || ec == net::error::try_again) break;
        if (ec) {
          if (!acceptor.is_open()) co_return;
          ++failures;
          auto now = std::chrono::steady_clock::now();
          if (failures == 1 || now - warned >= kAcceptWarnEvery) {
            log::Warn("accept failed", {{"error", ec.message()}, {"failures", failures}});
            warned = now;
          }
          // Idle upstream connections hold descriptors a client needs more:
          // each worker closes its own (the retry below finds them free).
          if (upstream::OutOfDescriptors(ec)) {
            for (auto& other : workers) net::post(other->ioc, [w = other.get()] { w->pool.FreeDescriptors(); });
          }
          backoff.expires_after(kAcceptRetry);
          co_await backoff.async_wait(kUseTuple);
          if (!acceptor.is_open()) co_return;
          continue;
        }
        ++next;
        failures = 0;
        serve(worker, std::move(socket));
      }
    }
  }

  // Runs on worker 0.
  void BeginDrain() {
    if (draining_started) return;
    draining_started = true;
    state.draining.store(true);
    log::Info("shutting down", {{"open_connections", state.open_connections.load()}});
    beast::error_code ec;
    api_acceptor->close(ec);
    for (auto& worker : workers) {
      net::post(worker->ioc, [w = worker.get()] {
        for (auto* stream : w->idle_streams) {
          beast::error_code cancel_ec;
          stream->socket().cancel(cancel_ec);
        }
      });
    }
    net::co_spawn(workers[0]->ioc, WaitDrained(), net::detached);
  }

  net::awaitable<void> WaitDrained() {
    auto current = state.store.Get();
    auto grace = (current != nullptr ? current->settings() : kNoConfigSettings).shutdown_grace;
    auto deadline = std::chrono::steady_clock::now() + grace;
    net::steady_timer timer(workers[0]->ioc);
    while (state.open_connections.load() > 0 && std::chrono::steady_clock::now() < deadline) {
      timer.expires_after(std::chrono::milliseconds(20));
      co_await timer.async_wait(kUseTuple);
    }
    int left = state.open_connections.load();
    if (left > 0) log::Warn("shutdown grace period over; closing connections", {{"open_connections", left}});
    beast::error_code ec;
    admin_acceptor->close(ec);
    for (auto& worker : workers) worker->ioc.stop();
  }

  ServerOptions options;
  ServerState state;
  std::vector<std::unique_ptr<Worker>> workers;
  std::optional<tcp::acceptor> api_acceptor;
  std::optional<tcp::acceptor> admin_acceptor;
  // Made with the acceptors, before the process says it is ready: it opens a
  // pipe, and later the process may have no descriptor left for one.
  std::optional<net::signal_set> signals;
  bool draining_started = false;
};

Server::Server(ServerOptions options, routing::SnapshotStore& store, metrics::DataPlaneMetrics& metrics)
    : impl_(std::make_unique<Impl>(std::move(options), store, metrics)) {}

Server::~Server() = default;

absl::Status Server::Bind() {
  if (absl::Status s = BindAcceptor(*impl_->api_acceptor, impl_->options.api_listen); !s.ok()) return s;
  if (absl::Status s = BindAcceptor(*impl_->admin_acceptor, impl_->options.admin_listen); !s.ok()) return s;
  impl_->signals.emplace(impl_->workers[0]->ioc, SIGINT, SIGTERM);
  return absl::OkStatus();
}

std::string Server::api_address() const { return EndpointString(impl_->api_acceptor->local_endpoint()); }
std::string Server::admin_address() const { return EndpointString(impl_->admin_acceptor->local_endpoint()); }

void Server::Run() {
  Impl& impl = *impl_;
  net::io_context& main_ioc = impl.workers[0]->ioc;
  net::signal_set& signals = *impl.signals;  // made by Bind
  signals.async_wait([&impl](const beast::error_code& ec, int signo) {
    if (ec) return;
    log::Info("signal received", {{"signal", signo == SIGTERM ? "SIGTERM" : "SIGINT"}});
    impl.BeginDrain();
  });
  net::co_spawn(main_ioc, impl.AcceptLoop(), net::detached);
  net::co_spawn(main_ioc, impl.AdminAcceptLoop(), net::detached);

  for (auto& worker : impl.workers) net::co_spawn(worker->ioc, SweepIdleConnections(*worker), net::detached);
  auto run_worker = [](net::io_context& ioc) {
    auto guard = net::make_work_guard(ioc);
    ioc.run();
  };
  std::vector<std::thread> threads;
  for (size_t i = 1; i < impl.workers.size(); ++i) {
    threads.emplace_back([w = impl.workers[i].get(), run_worker] { run_worker(w->ioc); });
  }
  run_worker(main_ioc);
  signals.cancel();
  for (auto& t : threads) t.join();
  log::Info("stopped");
}

void Server::Shutdown() {
  net::post(impl_->workers[0]->ioc, [impl = impl_.get()] { impl->BeginDrain(); });
}

}  // namespace switchboard::server
