#include "controlplane/auth.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <strings.h>

#include <array>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace switchboard::controlplane {
namespace {

std::string Trim(std::string s) {
  const char* space = " \t\r\n";
  size_t begin = s.find_first_not_of(space);
  if (begin == std::string::npos) return "";
  size_t end = s.find_last_not_of(space);
  return s.substr(begin, end - begin + 1);
}

std::array<unsigned char, SHA256_DIGEST_LENGTH> Digest(std::string_view text) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> out{};
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), out.data());
  return out;
}

}  // namespace

absl::StatusOr<Token> Token::Load(const std::string& file, const char* env_var) {
  if (!file.empty()) {
    std::ifstream in(file);
    if (!in) return absl::InvalidArgumentError("cannot read token file " + file);
    std::string line;
    std::getline(in, line);
    std::string value = Trim(line);
    if (value.empty()) return absl::InvalidArgumentError("token file " + file + " is empty");
    return FromValue(std::move(value));
  }
  const char* env = std::getenv(env_var);
  if (env == nullptr) return Token();
  return FromValue(Trim(env));
}

Token Token::FromValue(std::string value) {
  Token token;
  token.value_ = std::move(value);
  return token;
}

grpc::Status Token::Check(const grpc::ServerContextBase& context, std::string_view what) const {
  if (!configured()) return grpc::Status::OK;
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "missing 'authorization: Bearer <token>' metadata (the " + std::string(what) + " token)");
  }
  std::string_view header(it->second.data(), it->second.size());
  constexpr std::string_view kBearer = "Bearer ";
  if (header.size() < kBearer.size() || strncasecmp(header.data(), kBearer.data(), kBearer.size()) != 0) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "authorization metadata is not 'Bearer <token>'");
  }
  std::string_view presented = header.substr(kBearer.size());
  auto a = Digest(presented);
  auto b = Digest(value_);
  if (CRYPTO_memcmp(a.data(), b.data(), a.size()) != 0) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "wrong " + std::string(what) + " token");
  }
  return grpc::Status::OK;
}

bool IsLoopbackListen(std::string_view host_port) {
  std::string_view host = host_port;
  if (size_t colon = host_port.rfind(':'); colon != std::string_view::npos) host = host_port.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host == "localhost" || host == "::1") return true;
  // 127.0.0.0/8, written as a dotted quad.
  if (host.substr(0, 4) != "127.") return false;
  int dots = 0;
  for (char c : host) {
    if (c == '.') ++dots;
    else if (c < '0' || c > '9') return false;
  }
  return dots == 3;
}

std::string PeerHost(std::string_view peer) {
  std::string_view rest;
  if (peer.substr(0, 5) == "ipv4:") {
    rest = peer.substr(5);
    return std::string(rest.substr(0, rest.rfind(':')));
  }
  if (peer.substr(0, 5) == "ipv6:") {
    rest = peer.substr(5);
    size_t close = rest.find(']');
    if (!rest.empty() && rest.front() == '[' && close != std::string_view::npos) {
      return std::string(rest.substr(1, close - 1));
    }
    return std::string(rest);
  }
  return std::string(peer);
}

}  // namespace switchboard::controlplane
