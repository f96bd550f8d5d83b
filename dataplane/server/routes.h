#pragma once
// The API port's paths: how a request target is normalised and which handler
// it reaches. Pure functions on strings; thread-safe. Called by the session
// (server.cc) for every request, and by the HTTP fuzz target
// (tests/fuzz/http_request_fuzz.cc), which is why they live apart from the
// Beast code.

#include <cstdint>
#include <string>
#include <string_view>

namespace switchboard::server {

// The largest request header the API port reads; larger is 431.
inline constexpr uint32_t kHeaderLimitBytes = 64 * 1024;

enum class Route { kChat, kModels, kModel, kUnknown };

// Collapses repeated slashes (SillyTavern turns a base URL ending in '/' into
// "//chat/completions"), drops the query and a trailing slash. Never empty:
// an empty path is "/".
std::string NormalizePath(std::string_view target);

// A normalised path -> its route: /v1/chat/completions, /v1/models and
// /v1/models/<id> (each also without /v1). `*model_id` gets <id>.
Route MatchRoute(std::string_view path, std::string* model_id);

// A client profile's path: the prefix itself and <prefix>/chat/completions
// (with or without /v1) are chat endpoints — JanitorAI posts to exactly the URL
// the user pasted —, <prefix>/models (with or without /v1) lists models.
// `rest` is what follows the profile's prefix (ClientSettings::Match).
Route MatchProfileRoute(std::string_view rest, std::string* model_id);

// The client key a request presents: the token of `Authorization: Bearer
// <key>` (the scheme in any case), else the `X-API-Key` header's value.
std::string_view PresentedClientKey(std::string_view authorization, std::string_view x_api_key);

}  // namespace switchboard::server
