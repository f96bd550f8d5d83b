#include "dataplane/upstream/client.h"

#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <tuple>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "common/log.h"
#include "dataplane/upstream/body_decoder.h"
#include "dataplane/upstream/deadline.h"
#include "dataplane/upstream/http_head.h"
#include "dataplane/upstream/write_now.h"

namespace switchboard::upstream {
namespace {

constexpr auto kUseTuple = net::as_tuple(net::use_awaitable);
// Idle connections kept per origin and I/O thread. A burst of concurrent
// requests leaves as many connections idle; the next burst reuses them instead
// of opening (and for a remote API, TLS-handshaking) new ones. With a cap below
// the concurrency, every burst closed the excess and opened it again: at 256
// concurrent streams, a cap of 64 meant about 350 new upstream connections a
// second. An idle connection costs a descriptor and its buffers; it is closed
// once idle for kMaxIdleAge (CloseExpired, which each I/O thread runs now and
// then), or at once when the process runs out of descriptors.
constexpr size_t kMaxIdlePerOrigin = 1024;
// Servers commonly close idle keep-alive connections after 60 s or more; reusing
// one close to that races the server's close, so give up on them earlier.
constexpr std::chrono::seconds kMaxIdleAge{45};
// Body reads ask for little at first, as most reads of a stream are one small
// event and thousands of streams may be held open, and for twice as much
// whenever a read fills what it asked for (large non-streamed answers).
constexpr size_t kBodyReadFirstBytes = 1024;
constexpr size_t kBodyReadMaxBytes = 64 * 1024;
// The most an upstream's response head may take.
constexpr uint32_t kHeadLimitBytes = 64 * 1024;

// After a read of `read` bytes into `size`: most reads are one small event,
// and a read that filled its space asks for twice as much next time (a large
// head or answer), up to kBodyReadMaxBytes.
void GrowReadSize(size_t& size, size_t read) {
  if (read == size && size < kBodyReadMaxBytes) size *= 2;
}

}  // namespace

struct Connection {
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
  // Times the exchange's writes and reads once connected (the connect and the
  // TLS handshake use the stream's own timer): passing it closes the socket.
  std::optional<Deadline> deadline;
  beast::flat_buffer buffer;
  std::chrono::steady_clock::time_point idle_since;
  bool reused = false;

  beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }

  // Sets `deadline` up; once plain or tls exists.
  void MakeDeadline(const net::any_io_executor& executor) {
    deadline.emplace(executor, [this] {
      beast::error_code ec;
      lowest().socket().close(ec);
    });
  }

  // Calls f(stream) with whichever stream is in use.
  template <typename F>
  auto With(F&& f) {
    return tls ? f(*tls) : f(*plain);
  }

  // Idle too long to be reused (see kMaxIdleAge).
  bool ExpiredAt(std::chrono::steady_clock::time_point now) const { return now - idle_since >= kMaxIdleAge; }

  // A pooled connection the server has closed shows as readable with EOF.
  bool LooksAlive() {
    auto& socket = lowest().socket();
    if (!socket.is_open()) return false;
    char byte;
    ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0) return false;                                           // orderly close
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK;          // nothing to read: alive
    return tls.has_value();  // plain HTTP: unsolicited bytes mean a broken exchange; TLS: may be a ticket
  }
};

namespace {

// One read into `space`, straight from the socket (or the TLS stream): the
// response head's reads and the body's are this one operation.
net::awaitable<std::tuple<beast::error_code, size_t>> ReadOnce(Connection& conn, net::mutable_buffer space) {
  if (conn.tls) return conn.tls->async_read_some(space, kUseTuple);
  return conn.plain->socket().async_read_some(space, kUseTuple);
}

}  // namespace

std::string_view FailureName(Failure failure) {
  switch (failure) {
    case Failure::kNone: return "ok";
    case Failure::kResolve: return "resolve";
    case Failure::kConnect: return "connect";
    case Failure::kTls: return "tls";
    case Failure::kTimeout: return "timeout";
    case Failure::kReset: return "reset";
    case Failure::kProtocol: return "protocol";
    case Failure::kTooLarge: return "too_large";
    case Failure::kCancelled: return "cancelled";
  }
  return "unknown";
}

bool OutOfDescriptors(const beast::error_code& ec) {
  return ec.category() == boost::system::system_category() && (ec.value() == EMFILE || ec.value() == ENFILE);
}

std::shared_ptr<net::ssl::context> MakeClientTlsContext() {
  auto ctx = std::make_shared<net::ssl::context>(net::ssl::context::tls_client);
  ctx->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                   net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 | net::ssl::context::no_tlsv1_1);
  // Honors SSL_CERT_FILE / SSL_CERT_DIR, else the system store.
  ctx->set_default_verify_paths();
  ctx->set_verify_mode(net::ssl::verify_peer);
  return ctx;
}

ConnectionPool::ConnectionPool(net::any_io_executor executor, std::shared_ptr<net::ssl::context> tls)
    : executor_(std::move(executor)), tls_(std::move(tls)) {}

ConnectionPool::~ConnectionPool() = default;

std::unique_ptr<Connection> ConnectionPool::TakeIdle(const std::string& origin) {
  auto it = idle_.find(origin);
  if (it == idle_.end()) return nullptr;
  auto& list = it->second;
  auto now = std::chrono::steady_clock::now();
  while (!list.empty()) {
    std::unique_ptr<Connection> conn = std::move(list.back());
    list.pop_back();
    if (!conn->ExpiredAt(now) && conn->LooksAlive()) {
      conn->reused = true;
      return conn;
    }
  }
  return nullptr;
}

namespace {

// Closes the connections of `list` idle too long to be reused. Oldest first:
// TakeIdle takes the newest, so after a burst the connections it left over
// age at the front.
void DropExpired(std::vector<std::unique_ptr<Connection>>& list, std::chrono::steady_clock::time_point now) {
  list.erase(list.begin(),
             std::find_if(list.begin(), list.end(), [now](const auto& idle) { return !idle->ExpiredAt(now); }));
}

}  // namespace

void ConnectionPool::PutIdle(const std::string& origin, std::unique_ptr<Connection> connection) {
  auto& list = idle_[origin];
  const auto now = std::chrono::steady_clock::now();
  DropExpired(list, now);
  if (list.size() >= kMaxIdlePerOrigin) list.erase(list.begin());  // drop the oldest
  connection->idle_since = now;
  connection->lowest().expires_never();
  list.push_back(std::move(connection));
}

void ConnectionPool::CloseExpired() {
  const auto now = std::chrono::steady_clock::now();
  for (auto it = idle_.begin(); it != idle_.end();) {
    DropExpired(it->second, now);
    it = it->second.empty() ? idle_.erase(it) : std::next(it);
  }
}

size_t ConnectionPool::FreeDescriptors() {
  const size_t closed = idle_count();
  idle_.clear();  // each Connection closes its socket
  if (closed > 0) log::Warn("out of file descriptors: closed idle upstream connections", {{"closed", closed}});
  return closed;
}

size_t ConnectionPool::idle_count() const {
  size_t n = 0;
  for (const auto& [origin, list] : idle_) n += list.size();
  return n;
}

Call::Call(ConnectionPool& pool, Timeouts timeouts)
    : pool_(pool), timeouts_(timeouts), read_size_(kBodyReadFirstBytes) {}

Call::~Call() {
  // Only a connection whose response was read to the end, with keep-alive, goes
  // back to the pool; anything else is closed (which also aborts the upstream's
  // work on a request the client abandoned).
  // (A body that ran until the server closed took the connection with it; a
  // byte left after the body would be taken for the next response's.)
  if (connection_ && !cancelled_ && body_done_ && parser_ && parser_->keep_alive() &&
      !(decoder_ && decoder_->until_close()) && connection_->buffer.size() == 0) {
    pool_.PutIdle(origin_, std::move(connection_));
  } else if (connection_) {
    beast::error_code ec;
    connection_->lowest().socket().close(ec);
  }
}

absl::Status Call::Fail(Failure failure, const std::string& what, const beast::error_code& ec) {
  if (cancelled_) {
    failure_ = Failure::kCancelled;
    return absl::CancelledError("the request was cancelled");
  }
  if (TimedOut(ec)) failure = Failure::kTimeout;
  failure_ = failure;
  std::string message = what + ": " + ec.message();
  if (failure == Failure::kTimeout) return absl::DeadlineExceededError(what + ": timed out");
  return absl::UnavailableError(message);
}

net::awaitable<absl::Status> Call::Connect(const Url& url) {
  auto conn = std::make_unique<Connection>();
  // An IP address needs no lookup (the resolver runs getaddrinfo on a thread of
  // its own: a hand-off there and back for every new connection).
  net::ip::tcp::resolver::results_type endpoints;
  beast::error_code literal_ec;
  net::ip::address literal = net::ip::make_address(url.host, literal_ec);
  const bool host_is_ip = !literal_ec;
  uint16_t port = 0;
  auto [port_end, port_ec] = std::from_chars(url.port.data(), url.port.data() + url.port.size(), port);
  if (host_is_ip && port_ec == std::errc() && port_end == url.port.data() + url.port.size()) {
    endpoints = net::ip::tcp::resolver::results_type::create(net::ip::tcp::endpoint(literal, port), url.host, url.port);
  } else {
    net::ip::tcp::resolver resolver(pool_.executor());
    auto [rec, resolved] = co_await resolver.async_resolve(url.host, url.port, kUseTuple);
    if (cancelled_) co_return absl::CancelledError("the request was cancelled");
    if (rec) {
      absl::Status failed = Fail(Failure::kResolve, "could not resolve upstream host " + url.host, rec);
      co_return failed;
    }
    endpoints = std::move(resolved);
  }

  if (url.tls) {
    conn->tls.emplace(pool_.executor(), pool_.tls());
  } else {
    conn->plain.emplace(pool_.executor());
  }
  connection_ = std::move(conn);
  auto& lowest = connection_->lowest();
  if (endpoints.empty()) {
    absl::Status failed = Fail(Failure::kResolve, "could not resolve upstream host " + url.host,
                               net::error::host_not_found);
    co_return failed;
  }
  // Asio's connect to a list of endpoints reports a socket it could not open
  // as "operation aborted": open one first (the connect closes it and opens
  // its own in its place), so that a lack of descriptors is seen as such and
  // the idle connections can give theirs.
  beast::error_code oec;
  const auto protocol = endpoints.begin()->endpoint().protocol();
  lowest.socket().open(protocol, oec);
  if (OutOfDescriptors(oec) && pool_.FreeDescriptors() > 0) lowest.socket().open(protocol, oec);
  if (oec) {
    absl::Status failed = Fail(Failure::kConnect, "could not connect to upstream " + url.host_header, oec);
    co_return failed;
  }
  lowest.expires_after(timeouts_.connect);
  auto [cec, ep] = co_await lowest.async_connect(endpoints, kUseTuple);
  if (cec) {
    absl::Status failed = Fail(Failure::kConnect, "could not connect to upstream " + url.host_header, cec);
    co_return failed;
  }
  lowest.socket().set_option(net::ip::tcp::no_delay(true));

  if (url.tls) {
    auto& tls = *connection_->tls;
    // (No server name for an IP address.)
    if (!host_is_ip && !SSL_set_tlsext_host_name(tls.native_handle(), url.host.c_str())) {
      co_return absl::InternalError("could not set TLS server name");
    }
    tls.set_verify_mode(net::ssl::verify_peer);
    tls.set_verify_callback(net::ssl::host_name_verification(url.host));
    auto [hec] = co_await tls.async_handshake(net::ssl::stream_base::client, kUseTuple);
    if (hec) {
    absl::Status failed = Fail(Failure::kTls, "TLS handshake with upstream " + url.host_header + " failed", hec);
    co_return failed;
  }
  }
  lowest.expires_never();
  connection_->MakeDeadline(pool_.executor());
  co_return absl::OkStatus();
}

net::awaitable<absl::Status> Call::SendAndReadHeader(const providers::UpstreamRequest& request, bool& retryable) {
  retryable = false;
  HeadWriter head;
  head.RequestLine("POST", request.url.target);
  // The adapter's headers come last; one of them replaces a default (or an
  // earlier one) of the same name.
  if (!HasField(request.headers, "Host")) head.Field("Host", request.url.host_header);
  if (!HasField(request.headers, "User-Agent")) head.Field("User-Agent", "switchboard");
  for (size_t i = 0; i < request.headers.size(); ++i) {
    const auto& [name, value] = request.headers[i];
    if (SameFieldName(name, "Content-Length") || SameFieldName(name, "Connection") ||
        SameFieldName(name, "Transfer-Encoding") || HasField(request.headers, name, i + 1)) {
      continue;
    }
    head.Field(name, value);
  }
  head.ContentLength(request.body.size());
  const std::string& head_text = head.End();

  Connection& conn = *connection_;
  std::array<net::const_buffer, 2> buffers = {net::buffer(head_text), net::buffer(request.body)};
  beast::error_code wec;
  // A plain connection takes a small request at once; TLS goes through its stream.
  bool sent_now = !conn.tls && WriteNow(conn.plain->socket(), buffers, wec);
  if (!sent_now && !wec) {
    conn.deadline->ExpiresAfter(timeouts_.idle);
    auto [async_ec, written] =
        co_await conn.With([&](auto& stream) { return net::async_write(stream, buffers, kUseTuple); });
    conn.deadline->Clear();
    wec = async_ec;
  }
  if (wec) {
    retryable = conn.reused && !cancelled_;
    absl::Status failed = Fail(Failure::kReset, "could not send the request to upstream " + request.url.host_header, wec);
    co_return failed;
  }

  parser_.emplace();
  parser_->header_limit(kHeadLimitBytes);
  // (The head only, no body limit: what follows it stays in conn.buffer, and
  // the body is bounded by the caller, by ReadAll's limit or the SSE event bound.)
  // The head is read with the same socket read as the body (ReadOnce), not
  // Beast's composed http::async_read_header: one kind of read per
  // connection, so the code a stream's first event runs is the code each of
  // its events has just run (a request that finds the core idle pays for every
  // cache line it brings back), and no composed operation per request.
  conn.deadline->ExpiresAfter(timeouts_.first_byte);
  beast::error_code rec;
  size_t received = 0;
  size_t head_read_size = kBodyReadFirstBytes;
  for (;;) {
    if (conn.buffer.size() > 0) {
      conn.buffer.consume(parser_->put(conn.buffer.data(), rec));
      if (rec != http::error::need_more) break;  // the head, or what is wrong with it
      rec = {};
    }
    auto [ec, n] = co_await ReadOnce(conn, conn.buffer.prepare(head_read_size));
    if (ec == net::error::eof) {
      // As Beast's read: the end of a partial head is the parser's to judge
      // (partial_message); nothing at all is end_of_stream.
      if (parser_->got_some()) {
        parser_->put_eof(rec);
      } else {
        rec = http::error::end_of_stream;
      }
      break;
    }
    if (ec) {
      rec = ec;
      break;
    }
    conn.buffer.commit(n);
    received += n;
    GrowReadSize(head_read_size, n);
  }
  conn.deadline->Clear();
  if (rec) {
    // A reused connection the server closed just before our request arrived
    // answers with EOF and nothing else: safe to try once more on a new one.
    retryable = conn.reused && !cancelled_ && received == 0 &&
                (rec == http::error::end_of_stream || rec == net::error::connection_reset ||
                 rec == net::error::eof || rec == net::ssl::error::stream_truncated);
    Failure kind = TimedOut(rec) ? Failure::kTimeout
                   : (rec == http::error::end_of_stream || rec == net::error::connection_reset ||
                      rec == net::error::eof)
                       ? Failure::kReset
                       : Failure::kProtocol;
    absl::Status failed = Fail(kind, "upstream " + request.url.host_header + " did not answer", rec);
    co_return failed;
  }
  co_return absl::OkStatus();
}

net::awaitable<absl::Status> Call::Start(const providers::UpstreamRequest& request) {
  origin_ = request.url.origin;
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (cancelled_) co_return absl::CancelledError("the request was cancelled");
    connection_ = attempt == 0 ? pool_.TakeIdle(origin_) : nullptr;
    if (!connection_) {
      absl::Status connected = co_await Connect(request.url);
      if (!connected.ok()) co_return connected;
    }
    bool retryable = false;
    absl::Status sent = co_await SendAndReadHeader(request, retryable);
    if (sent.ok() || !retryable) co_return sent;
    beast::error_code ec;
    connection_->lowest().socket().close(ec);
    connection_.reset();
    failure_ = Failure::kNone;
  }
  co_return absl::UnavailableError("upstream connection failed");
}

bool Call::TimedOut(const beast::error_code& ec) const {
  return ec == beast::error::timeout || (connection_ && connection_->deadline && connection_->deadline->expired());
}

int Call::status() const { return parser_ ? parser_->status() : 0; }

std::string_view Call::header(std::string_view name) const { return parser_ ? parser_->field(name) : std::string_view(); }

bool Call::MakeDecoder() {
  // Beast's parser has read the head; the body's framing is undone here.
  if (parser_->is_done()) {
    body_done_ = true;
    return false;
  }
  if (parser_->chunked()) {
    decoder_ = BodyDecoder::Chunked();
  } else if (auto length = parser_->content_length()) {
    decoder_ = BodyDecoder::Length(*length);
  } else {
    decoder_ = BodyDecoder::UntilClose();
  }
  return true;
}

bool Call::DecodeBuffered() {
  Connection& conn = *connection_;
  if (conn.buffer.size() == 0) return true;
  auto bytes = conn.buffer.data();
  conn.buffer.consume(decoder_->Decode(std::string_view(static_cast<const char*>(bytes.data()), bytes.size()), body_));
  if (decoder_->failed()) return false;
  if (decoder_->done()) body_done_ = true;
  return true;
}

absl::Status Call::MalformedBody() {
  failure_ = cancelled_ ? Failure::kCancelled : Failure::kProtocol;
  return absl::UnavailableError("upstream sent a malformed body: " + std::string(decoder_->error()));
}

bool Call::BodyReady() {
  if (ready_ || body_done_ || !parser_ || !connection_) return true;
  if (!decoder_ && !MakeDecoder()) return true;
  body_.clear();
  ready_ = !DecodeBuffered() || !body_.empty() || body_done_;
  return ready_;
}

net::awaitable<absl::StatusOr<std::string_view>> Call::ReadSome() {
  if (ready_) {  // decoded by BodyReady
    ready_ = false;
    if (decoder_ && decoder_->failed()) co_return MalformedBody();
    co_return std::string_view(body_);
  }
  if (body_done_ || !parser_ || !connection_) co_return std::string_view();
  if (!decoder_ && !MakeDecoder()) co_return std::string_view();
  Connection& conn = *connection_;
  body_.clear();
  for (;;) {
    if (!DecodeBuffered()) co_return MalformedBody();
    if (!body_.empty() || body_done_) co_return std::string_view(body_);
    // Straight from the socket (or the TLS stream): no HTTP parser and no
    // composed operation per read.
    conn.deadline->ExpiresAfter(timeouts_.idle);
    auto [ec, n] = co_await ReadOnce(conn, conn.buffer.prepare(read_size_));
    conn.deadline->Clear();
    if (ec && decoder_->until_close() &&
        (ec == net::error::eof || ec == net::ssl::error::stream_truncated) && !cancelled_) {
      body_done_ = true;  // the body ran until the server closed; the connection goes with it
      co_return std::string_view();
    }
    if (ec) {
      Failure kind = TimedOut(ec) ? Failure::kTimeout
                     : ec == net::error::connection_reset || ec == net::error::eof ||
                             ec == net::ssl::error::stream_truncated
                         ? Failure::kReset
                         : Failure::kProtocol;
      absl::Status failed = Fail(kind, "upstream connection broke mid-response", ec);
      co_return failed;
    }
    conn.buffer.commit(n);
    GrowReadSize(read_size_, n);
  }
}

net::awaitable<absl::StatusOr<std::string>> Call::ReadAll(uint64_t limit) {
  std::string body;
  for (;;) {
    auto chunk = co_await ReadSome();
    if (!chunk.ok()) co_return chunk.status();
    if (chunk->empty()) break;
    if (body.size() + chunk->size() > limit) {
      failure_ = Failure::kTooLarge;
      absl::Status too_large =
          absl::ResourceExhaustedError("upstream response is larger than " + std::to_string(limit) + " bytes");
      co_return too_large;
    }
    body.append(*chunk);
  }
  co_return body;
}

net::awaitable<void> Call::FinishBody(std::chrono::milliseconds limit) {
  // More than a terminating chunk and some trailing events: not worth waiting for.
  constexpr size_t kMaxDrainBytes = 64 * 1024;
  if (body_done_ || cancelled_ || !parser_ || !connection_) co_return;
  const Timeouts saved_timeouts = timeouts_;
  const Failure saved_failure = failure_;
  timeouts_.idle = limit;
  size_t drained = 0;
  for (;;) {
    auto chunk = co_await ReadSome();
    if (!chunk.ok() || chunk->empty()) break;
    drained += chunk->size();
    if (drained > kMaxDrainBytes) break;
  }
  timeouts_ = saved_timeouts;
  failure_ = saved_failure;
}

void Call::Cancel() {
  cancelled_ = true;
  if (connection_) {
    beast::error_code ec;
    connection_->lowest().socket().cancel(ec);
    connection_->lowest().socket().close(ec);
  }
}

}  // namespace switchboard::upstream
