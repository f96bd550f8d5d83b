#pragma once
// Google Gemini (`gemini`): OpenAI chat requests are translated into Gemini's
// native generateContent / streamGenerateContent?alt=sse requests, and Gemini's
// GenerateContentResponse objects (whole, or one per SSE event) back into
// chat.completion / chat.completion.chunk objects.
//
// The request side lives in gemini_request.cc, the response side in
// gemini_response.cc. Both are pure (see provider.h): the response id and the
// `created` time come from RequestInfo.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "dataplane/providers/provider.h"

namespace switchboard::providers {

class GeminiAdapter : public Adapter {
 public:
  // `target.url` is the base URL (".../v1beta/models", see NormalizeGeminiUrl);
  // the request goes to "<base>/<modelName>:generateContent", or
  // ":streamGenerateContent?alt=sse" when the client asked for a stream. The key
  // travels in the `x-goog-api-key` header, never in the URL. A request Gemini
  // cannot express (a remote image URL, a bad field type) is an
  // InvalidArgumentError whose message the client sees. `target.gemini` holds
  // the model's options (system instruction, safety thresholds, thinking).
  absl::StatusOr<UpstreamRequest> BuildRequest(const Target& target, nlohmann::json request,
                                               std::string_view key) const override;
  // A body no processor touched (chat_scan.h) is read straight from simdjson's
  // document, without a tree: the same request as BuildRequest's, byte for
  // byte (GeminiPassthrough.* in the tests, and fuzz_chat_processors).
  bool CanPassThrough() const override { return true; }
  absl::StatusOr<UpstreamRequest> BuildPassthrough(const Target& target, std::string_view text,
                                                   const ChatBodyScan& scan, std::string_view key) const override;
  std::unique_ptr<ResponseTranslator> NewTranslator(const RequestInfo& info) const override;
};

// The Gemini request body (JSON text) for an OpenAI chat request: what
// BuildRequest sends. Changes the client should hear about (more than five
// stop sequences) are appended to `warnings` when given.
absl::StatusOr<std::string> GeminiRequestBody(const nlohmann::json& request, const GeminiOptions& options = {},
                                              std::vector<std::string>* warnings = nullptr);

// The Gemini URL rule (FireRouter's): after dropping one trailing '/', a URL
// ending in `v1beta/models` is kept, one ending in `v1beta` gets `/models`, any
// other gets `/v1beta/models`.
std::string NormalizeGeminiUrl(std::string_view url);

// Gemini finishReason -> OpenAI finish_reason: STOP -> stop, MAX_TOKENS ->
// length, the safety reasons -> content_filter, anything else -> stop (the
// translator then notes the raw reason in its warnings()).
std::string_view GeminiFinishReason(std::string_view reason);
// Whether GeminiFinishReason has a real equivalent for `reason`.
bool IsMappedGeminiFinishReason(std::string_view reason);

std::unique_ptr<ResponseTranslator> NewGeminiTranslator(const RequestInfo& info);

// Gemini refuses more stop sequences than this; the rest are dropped.
inline constexpr size_t kGeminiMaxStopSequences = 5;

inline constexpr std::string_view kGeminiDefaultUrl = "https://generativelanguage.googleapis.com/v1beta/models";

}  // namespace switchboard::providers
