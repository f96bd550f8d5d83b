#include "tests/integration/harness/http_client.h"

#include <arpa/inet.h>

#include <stdexcept>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace switchboard::testing {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr size_t kResponseBodyLimit = 64 * 1024 * 1024;

bool IsIpLiteral(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

// Splits "host:port"; an IPv6 host is written "[::1]:port".
bool SplitHostPort(std::string_view host_port, std::string& host, std::string& port) {
  size_t colon = host_port.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  host = std::string(host_port.substr(0, colon));
  port = std::string(host_port.substr(colon + 1));
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return !port.empty();
}

// One client connection, plain or TLS, and the io_context its operations run
// on. Each operation starts one async op with the stream's timer armed, then
// runs the context until that op completes: a blocking call with a timeout.
class Transport {
 public:
  explicit Transport(ClientOptions options) : options_(std::move(options)) {}

  // Empty on success, else what failed.
  std::string Connect(std::string_view host_port) {
    std::string host, port;
    if (!SplitHostPort(host_port, host, port)) return "bad host:port '" + std::string(host_port) + "'";
    host_port_ = std::string(host_port);
    beast::error_code ec;
    tcp::resolver resolver(ioc_);
    auto endpoints = resolver.resolve(host, port, ec);
    if (ec) return "resolve " + host + ": " + ec.message();

    if (options_.tls) {
      tls_.emplace(net::ssl::context::tls_client);
      tls_->set_verify_mode(net::ssl::verify_peer);
      if (!options_.ca_file.empty()) {
        tls_->load_verify_file(options_.ca_file, ec);
        if (ec) return "load CA " + options_.ca_file + ": " + ec.message();
      }
      secure_.emplace(ioc_, *tls_);
    } else {
      plain_.emplace(ioc_);
    }
    Arm(options_.timeout);
    if (options_.receive_buffer > 0) {
      // Set before the handshake, which announces the window; the socket is
      // opened here, so the connect goes to the first address only.
      tcp::endpoint first = endpoints.begin()->endpoint();
      Lowest().socket().open(first.protocol(), ec);
      if (!ec) Lowest().socket().set_option(net::socket_base::receive_buffer_size(options_.receive_buffer), ec);
      if (ec) return "open a socket: " + ec.message();
      ec = Run([&](auto handler) { Lowest().async_connect(first, handler); });
    } else {
      ec = Run([&](auto handler) {
        Lowest().async_connect(endpoints, [handler](beast::error_code e, const tcp::endpoint&) { handler(e); });
      });
    }
    if (ec) return "connect " + std::string(host_port) + ": " + ec.message();
    Lowest().socket().set_option(tcp::no_delay(true), ec);
    if (!secure_) return "";

    std::string name = options_.server_name.empty() ? host : options_.server_name;
    SSL* ssl = secure_->native_handle();
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    if (IsIpLiteral(name)) {
      X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str());
    } else {
      SSL_set_tlsext_host_name(ssl, name.c_str());
      X509_VERIFY_PARAM_set1_host(param, name.c_str(), 0);
    }
    Arm(options_.timeout);
    ec = Run([&](auto handler) { secure_->async_handshake(net::ssl::stream_base::client, handler); });
    if (ec) return "TLS handshake with " + name + ": " + ec.message();
    return "";
  }

  const std::string& host_port() const { return host_port_; }
  milliseconds timeout() const { return options_.timeout; }

  beast::tcp_stream& Lowest() { return secure_ ? beast::get_lowest_layer(*secure_) : *plain_; }
  void Arm(milliseconds timeout) { Lowest().expires_after(timeout); }

  // Calls `start(handler)`; the handler accepts (error_code[, size_t]).
  template <class Start>
  beast::error_code Run(Start start) {
    beast::error_code result = net::error::operation_aborted;
    start([&result](beast::error_code ec, std::size_t = 0) { result = ec; });
    ioc_.restart();
    ioc_.run();
    return result;
  }

  // Runs `op(stream, handler)` on whichever stream this connection uses.
  template <class Op>
  beast::error_code WithStream(milliseconds timeout, Op op) {
    Arm(timeout);
    return Run([&](auto handler) {
      if (secure_) {
        op(*secure_, handler);
      } else {
        op(*plain_, handler);
      }
    });
  }

  void Close() {
    beast::error_code ignored;
    if (secure_ || plain_) Lowest().socket().close(ignored);
  }

 private:
  ClientOptions options_;
  net::io_context ioc_;
  std::optional<net::ssl::context> tls_;
  std::optional<beast::tcp_stream> plain_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure_;
  std::string host_port_;
};

http::request<http::string_body> BuildRequest(std::string_view method, std::string_view host_port,
                                              std::string_view target, std::string_view body,
                                              const Headers& headers) {
  http::request<http::string_body> request;
  http::verb verb = http::string_to_verb(method);
  if (verb == http::verb::unknown) {
    request.method_string(method);
  } else {
    request.method(verb);
  }
  request.target(target);
  request.version(11);
  request.set(http::field::host, host_port);
  request.set(http::field::user_agent, "switchboard-integration-test");
  if (!body.empty() && !FindHeader(headers, "Content-Type")) request.set(http::field::content_type, "application/json");
  for (const auto& [name, value] : headers) request.set(name, value);
  request.body() = std::string(body);
  request.prepare_payload();
  return request;
}

template <class Fields>
Headers CopyHeaders(const Fields& fields) {
  Headers out;
  for (const auto& field : fields) out.emplace_back(field.name_string(), field.value());
  return out;
}

HttpResponse Failed(std::string error) {
  HttpResponse response;
  response.error = std::move(error);
  return response;
}

std::string Describe(std::string_view what, const beast::error_code& ec) {
  if (ec == beast::error::timeout) return std::string(what) + ": timed out";
  return std::string(what) + ": " + ec.message();
}

// Writes `request` and reads one whole response.
HttpResponse Exchange(Transport& transport, milliseconds timeout, http::request<http::string_body>& request) {
  HttpResponse response;
  beast::error_code ec = transport.WithStream(timeout, [&](auto& stream, auto handler) {
    http::async_write(stream, request, handler);
  });
  if (ec) {
    response.error = Describe("write request", ec);
    return response;
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kResponseBodyLimit);
  ec = transport.WithStream(timeout, [&](auto& stream, auto handler) {
    http::async_read(stream, buffer, parser, handler);
  });
  if (ec) {
    response.error = Describe("read response", ec);
    return response;
  }
  const auto& message = parser.get();
  response.status = static_cast<int>(message.result_int());
  response.headers = CopyHeaders(message);
  response.body = message.body();
  return response;
}

class SseStreamImpl : public SseStream {
 public:
  explicit SseStreamImpl(const ClientOptions& options) : transport_(options) {}

  void Open(std::string_view host_port, http::request<http::string_body> request, milliseconds timeout) {
    if (std::string error = transport_.Connect(host_port); !error.empty()) {
      Fail(error);
      return;
    }
    beast::error_code ec = transport_.WithStream(timeout, [&](auto& stream, auto handler) {
      http::async_write(stream, request, handler);
    });
    if (ec) {
      Fail(Describe("write request", ec));
      return;
    }
    // An SSE body has no length and may run for minutes.
    parser_.body_limit(boost::none);
    ec = transport_.WithStream(timeout, [&](auto& stream, auto handler) {
      http::async_read_header(stream, buffer_, parser_, handler);
    });
    if (ec) {
      Fail(Describe("read response head", ec));
      return;
    }
    head_.status = static_cast<int>(parser_.get().result_int());
    head_.headers = CopyHeaders(parser_.get());
  }

  const HttpResponse& head() const override { return head_; }

  SseItem Next(milliseconds timeout) override {
    auto deadline = Clock::now() + timeout;
    while (true) {
      if (auto item = ParseOne()) return *item;
      if (terminal_) return *terminal_;
      if (parser_.is_done()) {
        terminal_ = SseItem{SseItem::Kind::kEnd, ""};
        continue;
      }
      auto remaining = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
      if (remaining <= milliseconds::zero()) {
        SetTerminal("timed out waiting for the next event");
        continue;
      }
      beast::error_code ec = ReadSome(remaining);
      // Whatever arrived with the error is still delivered before it.
      if (ec && !parser_.is_done()) SetTerminal(Describe("read body", ec));
    }
  }

  std::string ReadToEnd(milliseconds timeout) override {
    auto deadline = Clock::now() + timeout;
    while (!terminal_ && !parser_.is_done()) {
      auto remaining = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
      if (remaining <= milliseconds::zero()) {
        SetTerminal("timed out reading the body");
        break;
      }
      if (beast::error_code ec = ReadSome(remaining); ec && !parser_.is_done()) SetTerminal(Describe("read body", ec));
    }
    searched_ = 0;
    return std::exchange(pending_, "");
  }

  void Close() override {
    transport_.Close();
    SetTerminal("closed by the test");
  }

 private:
  void Fail(std::string error) {
    head_.error = std::move(error);
    SetTerminal(head_.error);
  }

  void SetTerminal(std::string text) {
    if (!terminal_) terminal_ = SseItem{SseItem::Kind::kError, std::move(text)};
  }

  beast::error_code ReadSome(milliseconds timeout) {
    beast::error_code ec = transport_.WithStream(timeout, [&](auto& stream, auto handler) {
      http::async_read_some(stream, buffer_, parser_, handler);
    });
    // string_body appends at the body's current end, so taking the text out
    // between reads leaves the parser consistent.
    pending_ += parser_.get().body();
    parser_.get().body().clear();
    return ec;
  }

  // The next complete comment or event in `pending_`, per the SSE rules:
  // lines end in \n (or \r\n), a blank line dispatches the event, a leading
  // ':' marks a comment, and one space after "data:" is dropped.
  std::optional<SseItem> ParseOne() {
    while (true) {
      // Searched from where the last search ended: a line of megabytes
      // arriving read by read is not searched again from its start each time.
      size_t newline = pending_.find('\n', searched_);
      if (newline == std::string::npos) {
        searched_ = pending_.size();
        return std::nullopt;
      }
      searched_ = 0;
      std::string line = pending_.substr(0, newline);
      pending_.erase(0, newline + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty()) {
        if (!has_data_) continue;
        SseItem item{SseItem::Kind::kData, std::move(data_)};
        data_.clear();
        has_data_ = false;
        return item;
      }
      if (line.front() == ':') return SseItem{SseItem::Kind::kComment, line.substr(1)};
      size_t colon = line.find(':');
      std::string field = line.substr(0, colon);
      std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
      if (!value.empty() && value.front() == ' ') value.erase(0, 1);
      if (field != "data") continue;  // event:, id:, retry: do not matter here
      if (has_data_) data_ += '\n';
      data_ += value;
      has_data_ = true;
    }
  }

  Transport transport_;
  beast::flat_buffer buffer_;
  http::response_parser<http::string_body> parser_;
  HttpResponse head_;
  std::string pending_;
  size_t searched_ = 0;  // bytes of pending_ known to hold no '\n'
  std::string data_;
  bool has_data_ = false;
  std::optional<SseItem> terminal_;
};

class HttpConnectionImpl : public HttpConnection {
 public:
  HttpConnectionImpl(const ClientOptions& options, std::string_view host_port) : transport_(options) {
    error_ = transport_.Connect(host_port);
  }

  const std::string& error() const override { return error_; }

  HttpResponse Request(std::string_view method, std::string_view target, std::string_view body,
                       const Headers& headers) override {
    if (!error_.empty()) return Failed(error_);
    auto request = BuildRequest(method, transport_.host_port(), target, body, headers);
    return Exchange(transport_, transport_.timeout(), request);
  }

  bool WaitClosedByServer(milliseconds timeout) override {
    if (!error_.empty()) return false;
    char byte;
    beast::error_code ec = transport_.WithStream(timeout, [&](auto& stream, auto handler) {
      stream.async_read_some(net::buffer(&byte, 1), handler);
    });
    // Any byte means the server is still talking on this connection.
    return ec && ec != beast::error::timeout;
  }

 private:
  Transport transport_;
  std::string error_;
};

}  // namespace

SseItem SseStream::NextSkippingComments(milliseconds timeout, int* comments) {
  auto deadline = Clock::now() + timeout;
  while (true) {
    auto remaining = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (remaining <= milliseconds::zero()) {
      return SseItem{SseItem::Kind::kError, "only comments for " + std::to_string(timeout.count()) + " ms"};
    }
    SseItem item = Next(remaining);
    if (item.kind != SseItem::Kind::kComment) return item;
    if (comments != nullptr) ++*comments;
  }
}

std::string SseKindName(SseItem::Kind kind) {
  switch (kind) {
    case SseItem::Kind::kData: return "data";
    case SseItem::Kind::kComment: return "comment";
    case SseItem::Kind::kEnd: return "end";
    case SseItem::Kind::kError: return "error";
  }
  return "?";
}

HttpResponse HttpClient::Request(std::string_view method, std::string_view host_port, std::string_view target,
                                 std::string_view body, const Headers& headers) const {
  Transport transport(options_);
  if (std::string error = transport.Connect(host_port); !error.empty()) return Failed(error);
  auto request = BuildRequest(method, host_port, target, body, headers);
  return Exchange(transport, options_.timeout, request);
}

std::unique_ptr<SseStream> HttpClient::Stream(std::string_view method, std::string_view host_port,
                                              std::string_view target, std::string_view body,
                                              const Headers& headers) const {
  auto stream = std::make_unique<SseStreamImpl>(options_);
  stream->Open(host_port, BuildRequest(method, host_port, target, body, headers), options_.timeout);
  return stream;
}

std::unique_ptr<HttpConnection> HttpClient::Connect(std::string_view host_port) const {
  return std::make_unique<HttpConnectionImpl>(options_, host_port);
}

}  // namespace switchboard::testing
