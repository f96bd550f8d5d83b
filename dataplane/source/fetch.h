#pragma once
// A one-off HTTP(S) GET, for fetching a config from a URL (FunTimeRouter's
// CONFIG_URL: a Gist raw link, a file host). Beast lives only in fetch.cc.
//
// TLS is always verified: OpenSSL's default store (the system CA store, or
// SSL_CERT_FILE / SSL_CERT_DIR when set, as for upstreams), SNI, host-name
// check. Plain http:// is allowed only to loopback hosts (127.0.0.0/8, ::1,
// localhost), so a config with keys never crosses a network in clear.
//
// Blocking: runs a private io_context on the calling thread until the answer
// or the deadline. Thread-safe (shares nothing between calls).

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace switchboard::source {

struct FetchOptions {
  std::chrono::milliseconds timeout{30'000};  // the whole fetch, redirects included
  size_t max_bytes = size_t{16} << 20;
  int max_redirects = 5;
  // Polled every 100 ms while waiting; true gives up at once (CancelledError).
  // Lets a watcher thread stop without waiting for a slow host.
  std::function<bool()> cancelled;
};

// InvalidArgumentError unless `url` is https://, or http:// to a loopback host.
absl::Status CheckConfigUrl(std::string_view url);

// The URL as logs may show it: scheme, host, port and path, without the query
// or fragment (signed file-host links carry tokens there).
std::string RedactUrl(std::string_view url);

// The body of a 200 answer to GET `url`, following up to max_redirects
// redirects (each checked with CheckConfigUrl). Errors (UnavailableError for
// network and HTTP failures) name the redacted URL and what went wrong:
//   "GET https://example.com/p.enc: TLS handshake failed: certificate verify failed"
//   "GET https://example.com/p.enc: HTTP 404"
absl::StatusOr<std::string> FetchUrl(const std::string& url, const FetchOptions& options = {});

}  // namespace switchboard::source
