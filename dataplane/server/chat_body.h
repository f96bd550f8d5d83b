#pragma once
// The first check of a chat-completions request body: JSON, an object, a
// non-empty string `model`, an array `messages`, a boolean (or null) `stream`.
// Pure; thread-safe; never throws. Called by the chat handler (chat.cc) for
// every request, and by the fuzz targets (tests/fuzz/).

#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "dataplane/providers/errors.h"

namespace switchboard::server {

// Parses and validates `text` into `body`; on failure fills `error` with the
// OpenAI-style 400 the client gets and returns false. `kept_use`: a clean
// body's ChatBodyScan::kept_use, to build the tree from the scan's document.
bool ParseChatBody(std::string_view text, nlohmann::json& body, providers::ClientError& error,
                   uint64_t kept_use = 0);

}  // namespace switchboard::server
