#include "dataplane/providers/prefill.h"

#include "dataplane/providers/json_codec.h"

namespace switchboard::providers {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == '\v'; }

std::string Normalize(std::string_view text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (IsSpace(c)) {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

class PrefillStrippingTranslator : public ResponseTranslator {
 public:
  PrefillStrippingTranslator(std::unique_ptr<ResponseTranslator> inner, std::string prefill)
      : inner_(std::move(inner)), prefill_(std::move(prefill)) {}

  absl::StatusOr<std::string> TranslateBody(std::string body) override {
    auto translated = inner_->TranslateBody(std::move(body));
    Sync();
    if (!translated.ok()) return translated;
    auto parsed = nlohmann::json::parse(*translated, nullptr, false);
    if (!parsed.is_object() || !parsed.contains("choices") || !parsed["choices"].is_array()) return translated;
    for (auto& choice : parsed["choices"]) {
      if (!choice.is_object() || !choice.contains("message") || !choice["message"].is_object()) continue;
      auto& content = choice["message"]["content"];
      if (!content.is_string()) continue;
      PrefillMatcher matcher(prefill_);
      std::string kept = matcher.Push(content.get<std::string>());
      kept += matcher.Finish();
      content = std::move(kept);
    }
    return DumpJson(parsed);
  }

  void TranslateEvent(std::string_view data, PayloadSink& out) override {
    inner_->TranslateEvent(data, inner_payloads_);
    Sync();
    PassOn(out);
  }

  void Finish(PayloadSink& out) override {
    inner_->Finish(inner_payloads_);
    Sync();
    PassOn(out);
    // Text still held (the stream ended without a finish_reason): one more chunk.
    for (auto& [index, matcher] : matchers_) {
      std::string held = matcher.Finish();
      if (held.empty() || last_chunk_.is_null()) continue;
      nlohmann::json chunk = last_chunk_;
      chunk["choices"] = nlohmann::json::array(
          {{{"index", index}, {"delta", {{"content", held}}}, {"finish_reason", nullptr}}});
      chunk.erase("usage");
      out.Add(DumpJson(chunk));
    }
  }

  ClientError TranslateError(int status, std::string_view body) const override {
    return inner_->TranslateError(status, body);
  }

 private:
  void Sync() {
    done_ = inner_->done();
    usage_ = inner_->usage();
    warnings_ = inner_->warnings();
  }

  bool Settled() const {
    if (matchers_.empty()) return false;
    for (const auto& [index, matcher] : matchers_) {
      if (!matcher.settled()) return false;
    }
    return true;
  }

  PrefillMatcher& MatcherFor(int index) {
    auto it = matchers_.find(index);
    if (it == matchers_.end()) it = matchers_.emplace(index, PrefillMatcher(prefill_)).first;
    return it->second;
  }

  // The inner translator's payloads, stripped, to `out`.
  void PassOn(PayloadSink& out) {
    for (auto& payload : inner_payloads_) {
      Strip(payload);
      out.Add(payload);
    }
    inner_payloads_.clear();
  }

  void Strip(std::string& payload) {
    // Once every choice seen so far has passed the prefill, chunks pass
    // untouched and unparsed (choices of n > 1 all start in the first chunks).
    if (Settled()) return;
    auto chunk = nlohmann::json::parse(payload, nullptr, false);
    if (!chunk.is_object() || !chunk.contains("choices") || !chunk["choices"].is_array()) return;
    bool changed = false;
    for (auto& choice : chunk["choices"]) {
      if (!choice.is_object()) continue;
      int index = choice.contains("index") && choice["index"].is_number_integer() ? choice["index"].get<int>() : 0;
      PrefillMatcher& matcher = MatcherFor(index);
      std::string content;
      bool has_content = false;
      if (choice.contains("delta") && choice["delta"].is_object() && choice["delta"].contains("content") &&
          choice["delta"]["content"].is_string()) {
        has_content = true;
        if (matcher.settled()) continue;
        content = matcher.Push(choice["delta"]["content"].get<std::string>());
      }
      bool finishing = choice.contains("finish_reason") && !choice["finish_reason"].is_null();
      if (finishing) {
        std::string held = matcher.Finish();
        if (!held.empty()) {
          content += held;
          has_content = true;
        }
      }
      if (has_content) {
        // A finishing chunk may carry no delta object (or a broken one): the
        // held text still needs one.
        auto& delta = choice["delta"];
        if (!delta.is_object()) delta = nlohmann::json::object();
        delta["content"] = content;
        changed = true;
      }
    }
    last_chunk_ = chunk;
    if (changed) payload = DumpJson(chunk);
  }

  std::unique_ptr<ResponseTranslator> inner_;
  std::vector<std::string> inner_payloads_;
  std::string prefill_;
  std::map<int, PrefillMatcher> matchers_;
  nlohmann::json last_chunk_;
};

}  // namespace

PrefillMatcher::PrefillMatcher(std::string_view prefill)
    : pattern_(Normalize(prefill)), state_(pattern_.empty() ? State::kPassThrough : State::kLeadingSpace) {}

std::string PrefillMatcher::Push(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    switch (state_) {
      case State::kPassThrough:
        out.append(text.substr(i));
        return out;
      case State::kTrimAfter:
        if (IsSpace(c)) continue;
        state_ = State::kPassThrough;
        out.append(text.substr(i));
        return out;
      case State::kLeadingSpace:
        held_.push_back(c);
        if (IsSpace(c)) continue;
        state_ = State::kMatching;
        break;
      case State::kMatching:
        held_.push_back(c);
        break;
    }
    // Matching `c` (already in held_) against the pattern at pos_.
    if (pattern_[pos_] == ' ') {
      if (IsSpace(c)) continue;
      ++pos_;  // the answer has no whitespace here: allowed
    }
    if (pattern_[pos_] == c) {
      if (++pos_ == pattern_.size()) {
        held_.clear();
        stripped_ = true;
        state_ = State::kTrimAfter;
      }
      continue;
    }
    // Not the prefill: release everything held, verbatim.
    out += held_;
    held_.clear();
    state_ = State::kPassThrough;
  }
  return out;
}

std::string PrefillMatcher::Finish() {
  std::string out;
  out.swap(held_);
  state_ = State::kPassThrough;
  return out;
}

std::unique_ptr<ResponseTranslator> NewPrefillStrippingTranslator(std::unique_ptr<ResponseTranslator> inner,
                                                                  std::string prefill) {
  return std::make_unique<PrefillStrippingTranslator>(std::move(inner), std::move(prefill));
}

void AppendPrefill(nlohmann::json& request, const std::string& prefill, bool mistral_prefix) {
  auto& messages = request["messages"];
  if (!messages.is_array()) return;
  nlohmann::json message = {{"role", "assistant"}, {"content", prefill}};
  if (mistral_prefix) message["prefix"] = true;
  messages.push_back(std::move(message));
}

}  // namespace switchboard::providers
