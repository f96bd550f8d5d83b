#pragma once
// Bearer-token authentication of gRPC calls: one token for admins, another
// for data planes. Tokens come from a file (first line, surrounding
// whitespace trimmed) or an environment variable. Comparison is constant-time
// (SHA-256 of both sides, then CRYPTO_memcmp), so neither the token's bytes
// nor its length leak through timing.
//
// Thread-safety: a Token is immutable after loading; Check may be called from
// any thread.

#include <optional>
#include <string>
#include <string_view>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"

namespace switchboard::controlplane {

class Token {
 public:
  Token() = default;  // no token: every caller is let in
  // Reads `file` when non-empty, else the variable `env_var` (unset or empty
  // = no token). A file that cannot be read, or is empty, is an error.
  static absl::StatusOr<Token> Load(const std::string& file, const char* env_var);
  static Token FromValue(std::string value);

  bool configured() const { return !value_.empty(); }
  // Startup checks only (not constant-time).
  bool SameAs(const Token& other) const { return value_ == other.value_; }

  // OK when no token is configured or the call carries
  // `authorization: Bearer <token>`; UNAUTHENTICATED otherwise (the message
  // says what was missing, never what was expected). `what` names the token
  // ("admin", "data-plane").
  grpc::Status Check(const grpc::ServerContextBase& context, std::string_view what) const;

 private:
  std::string value_;
};

// True for 127.0.0.0/8, ::1 and "localhost" (the host part of HOST:PORT).
bool IsLoopbackListen(std::string_view host_port);

// "ipv4:127.0.0.1:5000" -> "127.0.0.1", "ipv6:[::1]:5000" -> "::1"; other
// forms unchanged.
std::string PeerHost(std::string_view grpc_peer);

}  // namespace switchboard::controlplane
