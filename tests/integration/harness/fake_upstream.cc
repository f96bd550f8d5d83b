#include "tests/integration/harness/fake_upstream.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <type_traits>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

namespace switchboard::testing {
namespace {

namespace net = boost::asio;
namespace ssl = net::ssl;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;
using std::chrono::milliseconds;

constexpr milliseconds kPollSlice{5};
constexpr size_t kRequestBodyLimit = 64 * 1024 * 1024;

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string StatusLine(int status) {
  std::string reason(http::obsolete_reason(static_cast<http::status>(status)));
  return "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\n";
}

std::string HeaderBlock(const Headers& headers) {
  std::string out;
  for (const auto& [name, value] : headers) out += name + ": " + value + "\r\n";
  return out;
}

void DefaultHandler(const RecordedRequest&, ResponseWriter& writer) {
  writer.SendJson(200, {{"id", "chatcmpl-fake"},
                        {"object", "chat.completion"},
                        {"created", 0},
                        {"model", "fake"},
                        {"choices",
                         {{{"index", 0},
                           {"message", {{"role", "assistant"}, {"content", "fake answer"}}},
                           {"finish_reason", "stop"}}}},
                        {"usage", {{"prompt_tokens", 1}, {"completion_tokens", 2}, {"total_tokens", 3}}}});
}

// What the watchdog and Stop() need to know about a live connection; guarded
// by Server::mu. `fd` is -1 once the connection's thread owns the close.
struct ConnState {
  int fd = -1;
  bool in_progress = false;
  bool gone = false;
};

// Everything the threads share; FakeUpstream::Impl is this.
struct Server {
  net::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::optional<ssl::context> tls;

  mutable std::mutex mu;
  mutable std::condition_variable cv;
  std::atomic<bool> stopping{false};  // set under `mu`; wait loops read it without
  Handler handler = DefaultHandler;
  std::vector<RecordedRequest> requests;
  int accepted = 0;
  int handshake_failures = 0;
  int disconnects = 0;
  std::map<int, std::shared_ptr<ConnState>> conns;
  std::vector<std::thread> conn_threads;
  std::thread accept_thread;
  std::thread watchdog_thread;

  void AcceptLoop();
  void WatchdogLoop();
  void ServeConnection(tcp::socket socket, std::shared_ptr<ConnState> state, int id);
  template <class Stream>
  void ServeRequests(Stream& stream, tcp::socket& socket, ConnState& state, int id);

  // A hang-up during a response; no-op once counted, outside a response, or
  // when the fake itself is tearing connections down. A failed write of the
  // response's last bytes counts although the response was already marked
  // ended: the client left before it had the whole answer.
  void MarkGone(ConnState& state, bool last_write) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (stopping || state.gone || (!state.in_progress && !last_write)) return;
      state.gone = true;
      ++disconnects;
    }
    cv.notify_all();
  }
  bool IsGone(const ConnState& state) const {
    std::lock_guard<std::mutex> lock(mu);
    return state.gone;
  }
  void SetInProgress(ConnState& state, bool in_progress) {
    std::lock_guard<std::mutex> lock(mu);
    state.in_progress = in_progress;
  }
  // Hands the fd back to its thread alone, so nobody else polls or shuts
  // down a number the kernel may reuse after close.
  void Release(ConnState& state, int id) {
    std::lock_guard<std::mutex> lock(mu);
    state.fd = -1;
    state.in_progress = false;
    conns.erase(id);
  }
};

}  // namespace

std::optional<std::string> FindHeader(const Headers& headers, std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) return value;
  }
  return std::nullopt;
}

nlohmann::json RecordedRequest::Json() const { return nlohmann::json::parse(body, nullptr, false); }

std::string SseEvent(std::string_view payload) { return "data: " + std::string(payload) + "\n\n"; }

namespace {

template <class Stream>
class Writer : public ResponseWriter {
 public:
  Writer(Server& server, Stream& stream, tcp::socket& socket, ConnState& state, int id, bool close_after)
      : server_(server), stream_(stream), socket_(socket), state_(state), id_(id), close_after_(close_after) {}

  enum class Phase { kIdle, kStreaming, kDone, kRaw, kAborted };

  bool Send(int status, const Headers& headers, std::string_view body) override {
    if (phase_ != Phase::kIdle) return false;
    std::string head = StatusLine(status) + HeaderBlock(headers);
    if (!FindHeader(headers, "Content-Length")) head += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    if (close_after_) head += "Connection: close\r\n";
    head += "\r\n";
    phase_ = Phase::kDone;
    return Write(head + std::string(body), /*last=*/true);
  }

  bool StartStream(int status, const Headers& headers, Framing framing) override {
    if (phase_ != Phase::kIdle) return false;
    framing_ = framing;
    std::string head = StatusLine(status) + HeaderBlock(headers);
    if (framing == Framing::kChunked) {
      head += "Transfer-Encoding: chunked\r\n";
      if (close_after_) head += "Connection: close\r\n";
    } else {
      head += "Connection: close\r\n";
    }
    head += "\r\n";
    phase_ = Phase::kStreaming;
    return Write(head);
  }

  bool WriteChunk(std::string_view data) override {
    if (phase_ != Phase::kStreaming) return false;
    if (data.empty()) return true;  // an empty chunk would end a chunked body
    if (framing_ == Framing::kCloseDelimited) return Write(data);
    char size[32];
    snprintf(size, sizeof(size), "%zx\r\n", data.size());
    return Write(std::string(size) + std::string(data) + "\r\n");
  }

  bool EndStream() override {
    if (phase_ != Phase::kStreaming) return false;
    phase_ = Phase::kDone;
    if (framing_ == Framing::kChunked) return Write("0\r\n\r\n", /*last=*/true);
    server_.SetInProgress(state_, false);
    ShutdownSend();
    return true;
  }

  bool SendRaw(std::string_view bytes) override {
    if (phase_ != Phase::kIdle && phase_ != Phase::kRaw) return false;
    phase_ = Phase::kRaw;
    return Write(bytes);
  }

  void Abort(AbortMode mode) override {
    if (phase_ == Phase::kAborted) return;
    phase_ = Phase::kAborted;
    // Released first: our own close must not count as the peer hanging up.
    server_.Release(state_, id_);
    boost::system::error_code ignored;
    if (mode == AbortMode::kReset) socket_.set_option(net::socket_base::linger(true, 0), ignored);
    socket_.close(ignored);
  }

  bool Await(const Gate& gate, milliseconds timeout) override {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      if (gate.Wait(kPollSlice)) return true;
      if (Interrupted() || std::chrono::steady_clock::now() >= deadline) return false;
    }
  }

  bool Delay(milliseconds duration) override {
    auto deadline = std::chrono::steady_clock::now() + duration;
    while (std::chrono::steady_clock::now() < deadline) {
      if (Interrupted()) return false;
      std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
          kPollSlice, deadline - std::chrono::steady_clock::now()));
    }
    return !Interrupted();
  }

  // After the handler: answer for it if it did not, finish what it left open.
  void Finish() {
    if (phase_ == Phase::kIdle) Send(500, {}, "fake upstream: the handler sent no response");
    if (phase_ == Phase::kStreaming) EndStream();
  }

  // The connection can carry another request.
  bool Reusable() const {
    return phase_ == Phase::kDone && !close_after_ && framing_ == Framing::kChunked && !failed_;
  }

 private:
  bool Interrupted() const { return server_.stopping.load() || server_.IsGone(state_); }

  // `last`: the response ends with these bytes. It is marked ended before
  // they go out, since a client that has them all may close at once, before
  // this thread runs again, and the watchdog must not count that close.
  bool Write(std::string_view bytes, bool last = false) {
    if (phase_ == Phase::kAborted || failed_) return false;
    if (last) server_.SetInProgress(state_, false);
    boost::system::error_code ec;
    net::write(stream_, net::buffer(bytes.data(), bytes.size()), ec);
    if (ec) {
      failed_ = true;
      server_.MarkGone(state_, last);
      return false;
    }
    return true;
  }

  void ShutdownSend() {
    if constexpr (std::is_same_v<Stream, ssl::stream<tcp::socket&>>) {
      // One SSL_shutdown call sends close_notify without waiting for the
      // peer's reply, which asio's blocking shutdown() would.
      SSL_shutdown(stream_.native_handle());
    }
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    failed_ = true;  // nothing more may be written
  }

  Server& server_;
  Stream& stream_;
  tcp::socket& socket_;
  ConnState& state_;
  int id_;
  bool close_after_;
  Phase phase_ = Phase::kIdle;
  Framing framing_ = Framing::kChunked;
  bool failed_ = false;
};

void Server::AcceptLoop() {
  int listen_fd = acceptor.native_handle();
  while (!stopping.load()) {
    pollfd pfd{listen_fd, POLLIN, 0};
    // A short poll instead of a blocking accept, so Stop() needs no wake-up trick.
    if (poll(&pfd, 1, 50) <= 0) continue;
    boost::system::error_code ec;
    tcp::socket socket(ioc);
    acceptor.accept(socket, ec);
    if (ec) continue;
    socket.set_option(tcp::no_delay(true), ec);
    std::lock_guard<std::mutex> lock(mu);
    if (stopping) break;
    int id = ++accepted;
    auto state = std::make_shared<ConnState>();
    state->fd = socket.native_handle();
    conns[id] = state;
    conn_threads.emplace_back(
        [this, s = std::move(socket), state, id]() mutable { ServeConnection(std::move(s), state, id); });
    cv.notify_all();
  }
}

void Server::WatchdogLoop() {
  while (!stopping.load()) {
    bool changed = false;
    {
      std::lock_guard<std::mutex> lock(mu);
      std::vector<pollfd> fds;
      std::vector<ConnState*> states;
      for (auto& [id, state] : conns) {
        if (state->fd < 0 || !state->in_progress || state->gone) continue;
        fds.push_back(pollfd{state->fd, POLLRDHUP, 0});
        states.push_back(state.get());
      }
      // Zero timeout under the lock: fds stay valid while we look at them.
      if (!fds.empty() && poll(fds.data(), fds.size(), 0) > 0 && !stopping) {
        for (size_t i = 0; i < fds.size(); ++i) {
          if (fds[i].revents & (POLLRDHUP | POLLHUP | POLLERR)) {
            states[i]->gone = true;
            ++disconnects;
            changed = true;
          }
        }
      }
    }
    if (changed) cv.notify_all();
    std::this_thread::sleep_for(kPollSlice);
  }
}

void Server::ServeConnection(tcp::socket socket, std::shared_ptr<ConnState> state, int id) {
  if (tls) {
    ssl::stream<tcp::socket&> stream(socket, *tls);
    boost::system::error_code ec;
    stream.handshake(ssl::stream_base::server, ec);
    if (ec) {
      {
        std::lock_guard<std::mutex> lock(mu);
        if (!stopping) ++handshake_failures;
      }
      cv.notify_all();
    } else {
      ServeRequests(stream, socket, *state, id);
    }
  } else {
    ServeRequests(socket, socket, *state, id);
  }
  Release(*state, id);
  boost::system::error_code ignored;
  socket.close(ignored);
}

template <class Stream>
void Server::ServeRequests(Stream& stream, tcp::socket& socket, ConnState& state, int id) {
  boost::beast::flat_buffer buffer;
  while (true) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(kRequestBodyLimit);
    boost::system::error_code ec;
    http::read(stream, buffer, parser, ec);
    if (ec) return;
    const auto& message = parser.get();
    RecordedRequest request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    for (const auto& field : message) request.headers.emplace_back(field.name_string(), field.value());
    request.body = message.body();
    request.connection = id;

    Handler current;
    {
      std::lock_guard<std::mutex> lock(mu);
      requests.push_back(request);
      current = handler;
      state.in_progress = true;
    }
    cv.notify_all();

    Writer<Stream> writer(*this, stream, socket, state, id, !message.keep_alive());
    current(request, writer);
    writer.Finish();
    if (!writer.Reusable()) return;
    SetInProgress(state, false);
  }
}

}  // namespace

struct FakeUpstream::Impl : Server {};

FakeUpstream::FakeUpstream(std::optional<TlsOptions> tls) : impl_(std::make_unique<Impl>()) {
  if (tls) {
    impl_->tls.emplace(ssl::context::tls_server);
    impl_->tls->use_certificate_chain_file(tls->cert_file);
    impl_->tls->use_private_key_file(tls->key_file, ssl::context::pem);
  }
  tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(endpoint);
  impl_->acceptor.listen();
  impl_->accept_thread = std::thread([impl = impl_.get()] { impl->AcceptLoop(); });
  impl_->watchdog_thread = std::thread([impl = impl_.get()] { impl->WatchdogLoop(); });
}

FakeUpstream::~FakeUpstream() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->accept_thread.join();
  impl_->watchdog_thread.join();
  {
    // Wakes every connection thread blocked in a read, write or handshake.
    std::lock_guard<std::mutex> lock(impl_->mu);
    for (auto& [id, state] : impl_->conns) {
      if (state->fd >= 0) ::shutdown(state->fd, SHUT_RDWR);
    }
  }
  impl_->cv.notify_all();
  // No thread is added any more: the accept loop has ended.
  for (auto& thread : impl_->conn_threads) thread.join();
}

int FakeUpstream::port() const { return impl_->acceptor.local_endpoint().port(); }

std::string FakeUpstream::host_port() const { return "127.0.0.1:" + std::to_string(port()); }

void FakeUpstream::SetHandler(Handler handler) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->handler = std::move(handler);
}

std::vector<RecordedRequest> FakeUpstream::Requests() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->requests;
}

bool FakeUpstream::WaitForRequests(size_t n, milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(impl_->mu);
  return impl_->cv.wait_for(lock, timeout, [&] { return impl_->requests.size() >= n; });
}

int FakeUpstream::connections_accepted() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->accepted;
}

int FakeUpstream::tls_handshake_failures() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->handshake_failures;
}

int FakeUpstream::disconnects() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->disconnects;
}

bool FakeUpstream::WaitForDisconnect(milliseconds timeout, int n) const {
  std::unique_lock<std::mutex> lock(impl_->mu);
  return impl_->cv.wait_for(lock, timeout, [&] { return impl_->disconnects >= n; });
}

}  // namespace switchboard::testing
