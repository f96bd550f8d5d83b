#pragma once
// Assistant prefill (FunTimeRouter's JANITORAI_PREFILL_CONTENT): the request
// ends with an assistant message holding the prefill text, and models often
// repeat it at the start of their answer. These strip it again, from whole
// answers and from streams, holding back only as much text as could still be
// the prefill. Pure; one object per request, not thread-safe.

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "dataplane/providers/provider.h"

namespace switchboard::providers {

// Matches the start of one answer against the prefill. Whitespace is loose:
// leading whitespace of the answer is skipped, a whitespace run in the prefill
// matches any run (or none) in the answer, and whitespace right after the
// prefill is dropped with it. Anything else must match byte for byte.
class PrefillMatcher {
 public:
  explicit PrefillMatcher(std::string_view prefill);

  // The next piece of the answer -> what the client may see now.
  std::string Push(std::string_view text);
  // The answer ended: whatever was held back (a partial match is released).
  std::string Finish();
  // Nothing is held and nothing more will be: text passes through as it is.
  bool settled() const { return state_ == State::kPassThrough; }
  bool stripped() const { return stripped_; }

 private:
  enum class State { kLeadingSpace, kMatching, kTrimAfter, kPassThrough };
  std::string pattern_;  // trimmed; whitespace runs collapsed to one ' '
  size_t pos_ = 0;
  std::string held_;
  State state_;
  bool stripped_ = false;
};

// Wraps a provider's translator and strips `prefill` from every choice's
// content (message.content whole, delta.content streamed).
std::unique_ptr<ResponseTranslator> NewPrefillStrippingTranslator(std::unique_ptr<ResponseTranslator> inner,
                                                                  std::string prefill);

// Appends the prefill as the last message of `request` (an assistant message;
// with `mistral_prefix`, carrying "prefix": true as Mistral's API wants).
void AppendPrefill(nlohmann::json& request, const std::string& prefill, bool mistral_prefix);

}  // namespace switchboard::providers
