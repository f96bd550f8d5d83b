#pragma once
// Upstream URLs, parsed once when a config snapshot is built.

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace switchboard {

struct Url {
  bool tls = false;
  std::string host;    // no brackets for IPv6
  std::string port;    // always set ("443"/"80" by default)
  std::string target;  // path + query, starts with '/'
  // "host" or "host:port" when the port is not the scheme's default: the Host header.
  std::string host_header;
  // "https://host:port" — the connection-pool key.
  std::string origin;

  std::string ToString() const { return origin + target; }
};

// Accepts http:// and https:// URLs. Userinfo is rejected (keys belong in key
// providers, not URLs that end up in logs).
absl::StatusOr<Url> ParseUrl(std::string_view text);

}  // namespace switchboard
