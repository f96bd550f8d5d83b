#pragma once
// The `trivial` provider: answers with a fixed text, no upstream. Pure builders
// of its response bodies; the handler does the pacing.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::providers {

inline constexpr std::string_view kTrivialDefaultOutput = "Yahallo! Some extra padding to make this longer...";

struct TrivialResponse {
  std::string id;       // "chatcmpl-..."
  std::string model;    // the name the client asked for
  int64_t created = 0;  // unix seconds
  std::string output;
  int64_t prompt_tokens = 0;  // an estimate: the processed request's size / 4
};

// Rough token count (about four bytes a token, at least one per word).
int64_t EstimateTokens(std::string_view text);

// A chat.completion object.
std::string TrivialCompletionBody(const TrivialResponse& response);

// chat.completion.chunk payloads: a role chunk, the output split into pieces of a
// few words, a final chunk with finish_reason "stop", and, when `include_usage`,
// a usage chunk with empty choices (as OpenAI sends for stream_options.include_usage).
std::vector<std::string> TrivialChunks(const TrivialResponse& response, bool include_usage);

}  // namespace switchboard::providers
