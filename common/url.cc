#include "common/url.h"

#include <cctype>

#include "absl/status/status.h"

namespace switchboard {

absl::StatusOr<Url> ParseUrl(std::string_view text) {
  Url url;
  std::string_view rest;
  if (text.substr(0, 8) == "https://") {
    url.tls = true;
    rest = text.substr(8);
  } else if (text.substr(0, 7) == "http://") {
    rest = text.substr(7);
  } else {
    return absl::InvalidArgumentError("URL must start with http:// or https://");
  }
  size_t slash = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  if (authority.find('@') != std::string_view::npos) {
    return absl::InvalidArgumentError("URL must not contain user info; put keys in keyProviders");
  }
  if (authority.empty()) return absl::InvalidArgumentError("URL has no host");
  std::string_view host = authority;
  std::string_view port;
  if (authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return absl::InvalidArgumentError("URL has an unterminated IPv6 address");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return absl::InvalidArgumentError("URL has junk after the IPv6 address");
      port = after.substr(1);
    }
  } else if (size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) return absl::InvalidArgumentError("URL has no host");
  if (!port.empty()) {
    for (char c : port) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return absl::InvalidArgumentError("URL port is not a number");
    }
    if (port.size() > 5 || std::stoi(std::string(port)) > 65535 || std::stoi(std::string(port)) == 0) {
      return absl::InvalidArgumentError("URL port is out of range");
    }
  }
  url.host = std::string(host);
  std::string default_port = url.tls ? "443" : "80";
  url.port = port.empty() ? default_port : std::string(port);
  std::string host_for_header = host.find(':') != std::string_view::npos ? "[" + url.host + "]" : url.host;
  url.host_header = url.port == default_port ? host_for_header : host_for_header + ":" + url.port;
  url.origin = std::string(url.tls ? "https://" : "http://") + host_for_header + ":" + url.port;
  size_t hash = path.find('#');
  if (hash != std::string_view::npos) path = path.substr(0, hash);
  if (path.empty()) {
    url.target = "/";
  } else if (path.front() == '?') {
    url.target = "/" + std::string(path);
  } else {
    url.target = std::string(path);
  }
  return url;
}

}  // namespace switchboard
