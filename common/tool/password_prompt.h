#pragma once
// The password for `switchboard-config`: from --password-file, else
// SWITCHBOARD_CONFIG_PASSWORD / CONFIG_PASSWORD, else a prompt on the terminal
// with echo off (when stdin is a terminal). Never from an argument.
// Not thread-safe (changes the terminal's mode and SIGINT's handler while
// prompting); the tool is single-threaded.

#include <string>

#include "absl/status/statusor.h"

namespace switchboard::tool {

// `confirm`: a prompt asks twice and fails when the two differ (for encrypt).
// The error when there is no source at all says where a password can come from.
absl::StatusOr<std::string> GetPassword(const std::string& password_file, bool confirm);

}  // namespace switchboard::tool
