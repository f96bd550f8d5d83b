#include "dataplane/source/fetch.h"

#include <exception>
#include <memory>
#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "common/url.h"

namespace switchboard::source {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using Clock = std::chrono::steady_clock;

constexpr auto kUseTuple = net::as_tuple(net::use_awaitable);

struct Answer {
  unsigned status = 0;
  std::string location;
  std::string body;
};

bool IsIpAddress(const std::string& host) {
  boost::system::error_code ec;
  net::ip::make_address(host, ec);
  return !ec;
}

bool IsLoopback(const std::string& host) {
  if (host == "localhost") return true;
  boost::system::error_code ec;
  auto address = net::ip::make_address(host, ec);
  return !ec && address.is_loopback();
}

absl::Status NetworkError(const std::string& what, const boost::system::error_code& ec) {
  return absl::UnavailableError(what + ": " + ec.message());
}

// One GET on a connected (and, for https, handshaken) stream.
template <class Stream>
net::awaitable<absl::StatusOr<Answer>> Get(Stream& stream, Url url, size_t max_bytes) {
  http::request<http::empty_body> request{http::verb::get, url.target, 11};
  request.set(http::field::host, url.host_header);
  request.set(http::field::user_agent, "switchboard-dataplane");
  request.set(http::field::accept, "*/*");
  request.keep_alive(false);
  auto [wec, written] = co_await http::async_write(stream, request, kUseTuple);
  if (wec) {
    absl::Status failed = NetworkError("sending the request failed", wec);
    co_return failed;
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.header_limit(64 * 1024);
  parser.body_limit(max_bytes);
  auto [rec, read] = co_await http::async_read(stream, buffer, parser, kUseTuple);
  if (rec == http::error::body_limit) {
    absl::Status failed = absl::InvalidArgumentError("the answer is larger than " +
                                                     std::to_string(max_bytes >> 20) + " MiB");
    co_return failed;
  }
  if (rec) {
    absl::Status failed = NetworkError("reading the answer failed", rec);
    co_return failed;
  }
  Answer answer;
  answer.status = parser.get().result_int();
  answer.location = std::string(parser.get()[http::field::location]);
  answer.body = std::move(parser.get().body());
  absl::StatusOr<Answer> result = std::move(answer);
  co_return result;
}

// Resolve, connect, TLS when https, GET. Every step ends by `deadline`.
net::awaitable<absl::StatusOr<Answer>> Exchange(Url url, std::shared_ptr<ssl::context> tls,
                                                Clock::time_point deadline, size_t max_bytes) {
  auto executor = co_await net::this_coro::executor;
  net::ip::tcp::resolver resolver(executor);
  auto [rec, endpoints] = co_await resolver.async_resolve(url.host, url.port, kUseTuple);
  if (rec) {
    absl::Status failed = NetworkError("cannot resolve " + url.host, rec);
    co_return failed;
  }
  beast::tcp_stream tcp(executor);
  tcp.expires_at(deadline);  // covers every operation on the stream from here on
  auto [cec, endpoint] = co_await tcp.async_connect(endpoints, kUseTuple);
  if (cec) {
    absl::Status failed = NetworkError("cannot connect to " + url.host_header, cec);
    co_return failed;
  }
  if (!url.tls) {
    absl::StatusOr<Answer> answer = co_await Get(tcp, url, max_bytes);
    co_return answer;
  }
  beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp), *tls);
  if (!IsIpAddress(url.host) && !SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str())) {
    absl::Status failed = absl::InternalError("cannot set the TLS server name");
    co_return failed;
  }
  stream.set_verify_mode(ssl::verify_peer);
  stream.set_verify_callback(ssl::host_name_verification(url.host));
  auto [hec] = co_await stream.async_handshake(ssl::stream_base::client, kUseTuple);
  if (hec) {
    absl::Status failed = NetworkError("TLS handshake failed", hec);
    co_return failed;
  }
  absl::StatusOr<Answer> answer = co_await Get(stream, url, max_bytes);
  // No TLS shutdown: the answer is complete by its HTTP framing, so a missing
  // close_notify (stream_truncated) could not hide a cut, and many servers
  // never send one.
  co_return answer;
}

absl::StatusOr<Answer> RunExchange(const Url& url, Clock::time_point deadline, const FetchOptions& options) {
  auto tls = std::make_shared<ssl::context>(ssl::context::tls_client);
  tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                   ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  tls->set_default_verify_paths();  // SSL_CERT_FILE / SSL_CERT_DIR, else the system store
  net::io_context io;
  std::optional<absl::StatusOr<Answer>> result;
  net::co_spawn(io, Exchange(url, tls, deadline, options.max_bytes),
                [&result](std::exception_ptr error, absl::StatusOr<Answer> answer) {
                  if (error) {
                    result = absl::InternalError("the fetch failed unexpectedly");
                  } else {
                    result = std::move(answer);
                  }
                });
  // Stream operations end by the deadline on their own; name resolution has
  // no timeout in Asio, hence the bound here (plus a little, so that a stream
  // timeout reports itself first).
  const Clock::time_point give_up = deadline + std::chrono::seconds(1);
  while (!result && !io.stopped()) {
    if (options.cancelled && options.cancelled()) return absl::CancelledError("cancelled");
    if (Clock::now() >= give_up) return absl::DeadlineExceededError("timed out");
    io.run_for(std::chrono::milliseconds(100));
  }
  if (!result) return absl::InternalError("the fetch ended without an answer");
  return *std::move(result);
}

std::string ResolveLocation(const Url& base, const std::string& location) {
  if (location.rfind("https://", 0) == 0 || location.rfind("http://", 0) == 0) return location;
  std::string scheme = base.tls ? "https:" : "http:";
  if (location.rfind("//", 0) == 0) return scheme + location;
  std::string origin = scheme + "//" + base.host_header;
  if (!location.empty() && location[0] == '/') return origin + location;
  std::string directory = base.target.substr(0, base.target.find_first_of('?'));
  directory = directory.substr(0, directory.rfind('/') + 1);
  return origin + directory + location;
}

}  // namespace

absl::Status CheckConfigUrl(std::string_view text) {
  auto url = ParseUrl(text);
  if (!url.ok()) return absl::InvalidArgumentError("config URL " + RedactUrl(text) + ": " + std::string(url.status().message()));
  if (!url->tls && !IsLoopback(url->host)) {
    return absl::InvalidArgumentError("config URL " + RedactUrl(text) +
                                      ": must be https:// (plain http is allowed only to localhost)");
  }
  return absl::OkStatus();
}

std::string RedactUrl(std::string_view url) {
  std::string_view kept = url.substr(0, url.find_first_of("?#"));
  std::string out(kept);
  size_t authority = out.find("://");
  if (authority != std::string::npos) {
    size_t end = out.find('/', authority + 3);
    size_t at = out.rfind('@', end);
    if (at != std::string::npos && at > authority) out.erase(authority + 3, at - authority - 2);
  }
  if (kept.size() < url.size()) out += "?...";
  return out;
}

absl::StatusOr<std::string> FetchUrl(const std::string& url_text, const FetchOptions& options) {
  const Clock::time_point deadline = Clock::now() + options.timeout;
  const std::string shown = RedactUrl(url_text);
  std::string current = url_text;
  for (int redirects = 0;; ++redirects) {
    auto fail = [&](const absl::Status& status) {
      return absl::Status(status.code(), "GET " + shown + ": " + std::string(status.message()));
    };
    if (absl::Status allowed = CheckConfigUrl(current); !allowed.ok()) return fail(allowed);
    auto url = ParseUrl(current);
    if (!url.ok()) return fail(url.status());
    absl::StatusOr<Answer> answer = absl::InternalError("not run");
    try {
      answer = RunExchange(*url, deadline, options);
    } catch (const std::exception& e) {
      // ssl::context throws when OpenSSL cannot set it up.
      answer = absl::InternalError(std::string("TLS set-up failed: ") + e.what());
    }
    if (!answer.ok()) return fail(answer.status());
    unsigned status = answer->status;
    if (status == 200) return std::move(answer->body);
    bool redirect = status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    if (!redirect) return fail(absl::UnavailableError("HTTP " + std::to_string(status)));
    if (answer->location.empty()) return fail(absl::UnavailableError("HTTP " + std::to_string(status) + " without a Location"));
    if (redirects >= options.max_redirects) return fail(absl::UnavailableError("too many redirects"));
    current = ResolveLocation(*url, answer->location);
  }
}

}  // namespace switchboard::source
