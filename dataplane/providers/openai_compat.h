#pragma once
// OpenAI-compatible upstreams (`genericoai`, `openrouter`): the client's body goes
// upstream with `model` replaced and every other field untouched, except that a
// streamed request also asks for `stream_options.include_usage`; the answer
// comes back as it is (it is already OpenAI's format), while the translator reads
// the token usage on the way (and drops the usage-only chunk when the client did
// not ask for it).

#include "dataplane/providers/provider.h"

namespace switchboard::providers {

class OpenAiCompatAdapter : public Adapter {
 public:
  // `extra_headers` go on every request (OpenRouter's attribution headers).
  explicit OpenAiCompatAdapter(std::vector<std::pair<std::string, std::string>> extra_headers = {})
      : extra_headers_(std::move(extra_headers)) {}

  absl::StatusOr<UpstreamRequest> BuildRequest(const Target& target, nlohmann::json request,
                                               std::string_view key) const override;
  bool CanPassThrough() const override { return true; }
  bool PassesTextThrough() const override { return true; }
  absl::StatusOr<UpstreamRequest> BuildPassthrough(const Target& target, std::string_view text,
                                                   const ChatBodyScan& scan, std::string_view key) const override;
  std::unique_ptr<ResponseTranslator> NewTranslator(const RequestInfo& info) const override;

 private:
  UpstreamRequest Start(const Target& target, bool stream, std::string_view key) const;

  std::vector<std::pair<std::string, std::string>> extra_headers_;
};

// FireRouter's genericoai URL rule: a URL ending in `chat/completions` is used as
// is; one ending in `/v1` (after dropping one trailing '/') gets
// `/chat/completions`; anything else is used as is.
std::string NormalizeOpenAiUrl(std::string_view url);

inline constexpr std::string_view kOpenAiDefaultUrl = "https://api.openai.com/v1/chat/completions";
inline constexpr std::string_view kOpenRouterUrl = "https://openrouter.ai/api/v1/chat/completions";

}  // namespace switchboard::providers
