#pragma once
// Where the password of a sealed config comes from, for the data plane and
// `switchboard-config` alike. Never from a command-line argument (other users
// can read those in /proc). Thread-safe (reads the environment only).

#include <optional>
#include <string>

#include "absl/status/statusor.h"

namespace switchboard::crypto {

// The variables read, in order: ours, then FunTimeRouter's name.
inline constexpr const char* kPasswordVariables[] = {"SWITCHBOARD_CONFIG_PASSWORD", "CONFIG_PASSWORD"};

struct Password {
  std::string value;
  std::string origin;  // "SWITCHBOARD_CONFIG_PASSWORD", "file /run/secrets/pw": for messages
};

// The first of kPasswordVariables that is set and not empty.
std::optional<Password> PasswordFromEnvironment();

// A file that holds the password: its bytes without one trailing "\n" or
// "\r\n". An empty (or missing, unreadable) file is an error naming the path.
absl::StatusOr<Password> ReadPasswordFile(const std::string& path);

}  // namespace switchboard::crypto
