#include "dataplane/providers/openai_compat.h"

#include "dataplane/providers/errors.h"
#include "dataplane/providers/json_codec.h"

namespace switchboard::providers {
namespace {

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// The request asks for a usage chunk on every stream (for our metrics); when
// the client did not ask for one itself, that chunk (empty `choices`, a
// `usage` object) is read and then dropped.
class OpenAiCompatTranslator : public ResponseTranslator {
 public:
  explicit OpenAiCompatTranslator(bool client_wants_usage) : client_wants_usage_(client_wants_usage) {}

  absl::StatusOr<std::string> TranslateBody(std::string body) override {
    // The answer goes to the client as it came; it is read for its usage and
    // checked to be JSON (a broken upstream must not reach the client as a
    // 200). The fast scan decides almost always; nlohmann has the last word.
    AnswerScan scan;
    if (ScanOpenAiAnswer(body, usage_, scan)) return body;
    if (body.find("\"usage\"") != std::string::npos) {
      auto parsed = nlohmann::json::parse(body, nullptr, false);
      if (parsed.is_discarded()) return NotJson();
      if (parsed.is_object()) ReadOpenAiUsage(parsed, usage_);
    } else if (!nlohmann::json::accept(body)) {
      return NotJson();
    }
    return body;
  }

  void TranslateEvent(std::string_view data, PayloadSink& out) override {
    if (data == "[DONE]") {
      done_ = true;
      return;
    }
    AnswerScan scan;
    if (ScanOpenAiAnswer(data, usage_, scan)) {
      if (scan.has_usage && scan.empty_choices && !client_wants_usage_) return;
      out.Add(data);
      return;
    }
    if (data.find("\"usage\"") != std::string_view::npos) {
      auto parsed = nlohmann::json::parse(data, nullptr, false);
      if (parsed.is_discarded()) return EndWithBadEvent(out);
      if (parsed.is_object()) {
        ReadOpenAiUsage(parsed, usage_);
        auto choices = parsed.find("choices");
        bool usage_only = parsed.contains("usage") && choices != parsed.end() && choices->is_array() && choices->empty();
        if (usage_only && !client_wants_usage_) return;
      }
    } else if (!nlohmann::json::accept(data)) {
      // Clients parse every data line as JSON: end the stream with an error
      // event rather than pass on what would break them.
      return EndWithBadEvent(out);
    }
    out.Add(data);
  }

 private:
  static absl::Status NotJson() {
    return absl::InternalError("The upstream's answer is not valid JSON");
  }

  void EndWithBadEvent(PayloadSink& out) {
    out.Add(ErrorBody(MakeError(502, "upstream_error", "upstream_bad_event",
                                      "The upstream sent an event that is not JSON; the stream was ended")));
    done_ = true;
  }

  bool client_wants_usage_;
};

}  // namespace

std::string NormalizeOpenAiUrl(std::string_view url) {
  std::string_view trimmed = url;
  if (EndsWith(trimmed, "chat/completions")) return std::string(trimmed);
  if (!trimmed.empty() && trimmed.back() == '/') trimmed.remove_suffix(1);
  if (EndsWith(trimmed, "chat/completions")) return std::string(trimmed);
  if (EndsWith(trimmed, "/v1")) return std::string(trimmed) + "/chat/completions";
  return std::string(trimmed);
}

UpstreamRequest OpenAiCompatAdapter::Start(const Target& target, bool stream, std::string_view key) const {
  UpstreamRequest out;
  out.url = target.url;
  out.headers.reserve(3 + extra_headers_.size());
  out.headers.emplace_back("Content-Type", "application/json");
  out.headers.emplace_back("Accept", stream ? "text/event-stream" : "application/json");
  if (!key.empty()) out.headers.emplace_back("Authorization", "Bearer " + std::string(key));
  for (const auto& header : extra_headers_) out.headers.push_back(header);
  return out;
}

absl::StatusOr<UpstreamRequest> OpenAiCompatAdapter::BuildRequest(const Target& target, nlohmann::json request,
                                                                   std::string_view key) const {
  request["model"] = target.model_name;
  bool stream = false;
  if (auto it = request.find("stream"); it != request.end() && it->is_boolean()) stream = it->get<bool>();
  if (stream) {
    // Usage for our metrics; the translator drops the extra chunk again when
    // the client did not ask for it.
    auto& options = request["stream_options"];
    if (!options.is_object()) options = nlohmann::json::object();
    options["include_usage"] = true;
  }
  UpstreamRequest out = Start(target, stream, key);
  out.body = DumpJson(request);
  return out;
}

absl::StatusOr<UpstreamRequest> OpenAiCompatAdapter::BuildPassthrough(const Target& target, std::string_view text,
                                                                       const ChatBodyScan& scan,
                                                                       std::string_view key) const {
  UpstreamRequest out = Start(target, scan.stream, key);
  // (A scanned body has no stream_options: a streamed one gets ours.)
  out.body = RewriteChatBody(text, scan, target.model_name, scan.stream);
  return out;
}

std::unique_ptr<ResponseTranslator> OpenAiCompatAdapter::NewTranslator(const RequestInfo& info) const {
  return std::make_unique<OpenAiCompatTranslator>(info.include_usage);
}

}  // namespace switchboard::providers
