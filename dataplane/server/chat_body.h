#pragma once
// The first check of a chat-completions request body: JSON, an object, a
// non-empty string `model`, an array `messages`, a boolean (or null) `stream`.
// Pure; thread-safe; never throws. Called by the chat handler (chat.cc) for
// every request, and by the fuzz targets (tests/fuzz/).

#include <string_view>

#include <nlohmann/json.hpp>

#include "dataplane/providers/errors.h"

namespace switchboard::server {

// Parses and validates `text` into `body`; on failure fills `error` with the
// OpenAI-style 400 the client gets and returns false.
bool ParseChatBody(std::string_view text, nlohmann::json& body, providers::ClientError& error);

}  // namespace switchboard::server
