// Gemini GenerateContentResponse -> chat.completion / chat.completion.chunk.

#include <algorithm>
#include <map>
#include <optional>
#include <string_view>
#include <utility>

#include "dataplane/providers/gemini.h"
#include "dataplane/providers/json_codec.h"
#include "dataplane/providers/simdjson_parser.h"

namespace switchboard::providers {
namespace {

using nlohmann::json;

// A count the upstream sent, or -1 when absent. A negative count is as good as
// none, and counts are capped far above any real one, so that sums of them
// cannot overflow (fuzz: sse_translators).
constexpr int64_t kMaxCount = int64_t{1} << 48;
int64_t Count(const json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end() || !it->is_number_integer()) return -1;
  if (it->is_number_unsigned()) return static_cast<int64_t>(std::min<uint64_t>(it->get<uint64_t>(), kMaxCount));
  int64_t value = it->get<int64_t>();
  return value < 0 ? -1 : std::min(value, kMaxCount);
}
// The same of a simdjson value.
int64_t Count(simdjson::dom::element value) {
  switch (value.type()) {
    case simdjson::dom::element_type::UINT64:
      return static_cast<int64_t>(std::min<uint64_t>(uint64_t(value), kMaxCount));
    case simdjson::dom::element_type::INT64: {
      int64_t n = int64_t(value);
      return n < 0 ? -1 : std::min(n, kMaxCount);
    }
    default: return -1;
  }
}

// usageMetadata's counts, -1 where absent.
struct UsageCounts {
  int64_t prompt = -1, candidates = -1, thoughts = -1, total = -1, cached = -1;
};

// What one candidate said in one response: its text, its thoughts, its finish reason.
struct CandidateText {
  int index = 0;
  std::string content;
  std::string reasoning;
  std::string finish;  // Gemini's finishReason, empty while unfinished
};

std::vector<CandidateText> ReadCandidates(const json& response) {
  std::vector<CandidateText> out;
  auto candidates = response.find("candidates");
  if (candidates == response.end() || !candidates->is_array()) return out;
  int position = 0;
  for (const auto& candidate : *candidates) {
    CandidateText text;
    text.index = position++;
    if (!candidate.is_object()) continue;
    if (auto index = candidate.find("index"); index != candidate.end() && index->is_number_integer()) {
      text.index = index->get<int>();
    }
    if (auto reason = candidate.find("finishReason"); reason != candidate.end() && reason->is_string()) {
      text.finish = reason->get<std::string>();
    }
    auto content = candidate.find("content");
    if (content != candidate.end() && content->is_object()) {
      auto parts = content->find("parts");
      if (parts != content->end() && parts->is_array()) {
        for (const auto& part : *parts) {
          if (!part.is_object()) continue;
          auto t = part.find("text");
          if (t == part.end() || !t->is_string()) continue;  // function calls etc. are not translated
          auto thought = part.find("thought");
          bool is_thought = thought != part.end() && thought->is_boolean() && thought->get<bool>();
          (is_thought ? text.reasoning : text.content) += t->get_ref<const std::string&>();
        }
      }
    }
    out.push_back(std::move(text));
  }
  return out;
}

// One streamed event read straight from simdjson's document, without a tree:
// the usual event (candidates, maybe usageMetadata) costs a third of what
// parsing it into a tree and reading that did. Empty (the caller reads the
// tree instead, which decides) when simdjson refuses the text (integers beyond
// 64 bits, say), when it is not an object, and for what only the tree path
// handles: an "error", or no candidates (a blocked prompt). A repeated key
// counts with its last value, as in nlohmann's tree.
struct FastEvent {
  std::vector<CandidateText> candidates;
  std::optional<UsageCounts> usage;
};

std::optional<FastEvent> ReadEventFast(std::string_view text) {
  using simdjson::dom::element;
  using simdjson::dom::key_value_pair;
  std::optional<simdjson::dom::parser> own;
  element root;
  if (ThreadParser(text.size(), own).parse(text.data(), text.size(), true).get(root) != simdjson::SUCCESS ||
      !root.is_object()) {
    return std::nullopt;
  }
  element candidates, usage;
  bool has_candidates = false, has_usage = false;
  for (key_value_pair field : simdjson::dom::object(root)) {
    if (field.key == "error") return std::nullopt;
    if (field.key == "candidates") {
      has_candidates = true;
      candidates = field.value;
    } else if (field.key == "usageMetadata") {
      has_usage = true;
      usage = field.value;
    }
  }
  if (!has_candidates || !candidates.is_array() || simdjson::dom::array(candidates).size() == 0) return std::nullopt;

  FastEvent event;
  int position = 0;
  for (element candidate : simdjson::dom::array(candidates)) {
    CandidateText text;
    const int position_here = position++;
    text.index = position_here;
    if (!candidate.is_object()) continue;
    element parts;
    bool has_parts = false;
    for (key_value_pair field : simdjson::dom::object(candidate)) {
      if (field.key == "index") {
        if (field.value.is_int64()) text.index = static_cast<int>(int64_t(field.value));
        else if (field.value.is_uint64()) text.index = static_cast<int>(uint64_t(field.value));
        else text.index = position_here;
      } else if (field.key == "finishReason") {
        text.finish = field.value.is_string() ? std::string(std::string_view(field.value)) : std::string();
      } else if (field.key == "content") {
        has_parts = false;
        if (!field.value.is_object()) continue;
        for (key_value_pair inner : simdjson::dom::object(field.value)) {
          if (inner.key == "parts") {
            has_parts = true;
            parts = inner.value;
          }
        }
      }
    }
    if (has_parts && parts.is_array()) {
      for (element part : simdjson::dom::array(parts)) {
        if (!part.is_object()) continue;
        std::string_view part_text;
        bool has_text = false, is_thought = false;
        for (key_value_pair field : simdjson::dom::object(part)) {
          if (field.key == "text") {
            has_text = field.value.is_string();
            if (has_text) part_text = std::string_view(field.value);
          } else if (field.key == "thought") {
            is_thought = field.value.is_bool() && bool(field.value);
          }
        }
        if (!has_text) continue;  // function calls etc. are not translated
        (is_thought ? text.reasoning : text.content) += part_text;
      }
    }
    event.candidates.push_back(std::move(text));
  }
  if (has_usage && usage.is_object()) {
    UsageCounts& counts = event.usage.emplace();
    for (key_value_pair field : simdjson::dom::object(usage)) {
      if (field.key == "promptTokenCount") counts.prompt = Count(field.value);
      else if (field.key == "candidatesTokenCount") counts.candidates = Count(field.value);
      else if (field.key == "thoughtsTokenCount") counts.thoughts = Count(field.value);
      else if (field.key == "totalTokenCount") counts.total = Count(field.value);
      else if (field.key == "cachedContentTokenCount") counts.cached = Count(field.value);
    }
  }
  return event;
}

// `text` parsed, or a discarded value where nlohmann::json::parse(text, nullptr,
// false) would give one. ParseJson validates with simdjson and builds the same
// tree: nlohmann's own lexer took about 30 % of a streamed Gemini answer's
// instructions, one character at a time.
json ParseOrDiscard(std::string_view text) {
  json out;
  try {
    ParseJson(text, out);
  } catch (const json::exception&) {
    return json(json::value_t::discarded);
  }
  return out;
}

// promptFeedback.blockReason when Gemini answered no candidate at all, else empty.
std::string BlockReason(const json& response) {
  auto candidates = response.find("candidates");
  if (candidates != response.end() && candidates->is_array() && !candidates->empty()) return "";
  auto feedback = response.find("promptFeedback");
  if (feedback == response.end() || !feedback->is_object()) return "";
  auto reason = feedback->find("blockReason");
  return reason != feedback->end() && reason->is_string() ? reason->get<std::string>() : "";
}

class GeminiTranslator : public ResponseTranslator {
 public:
  explicit GeminiTranslator(RequestInfo info) : info_(std::move(info)) {}

  absl::StatusOr<std::string> TranslateBody(std::string body) override {
    json parsed = ParseOrDiscard(body);
    if (parsed.is_discarded()) return absl::InternalError("Gemini sent a response that is not JSON");
    // streamGenerateContent without alt=sse answers a JSON list of responses.
    std::vector<const json*> responses;
    if (parsed.is_array()) {
      for (const auto& item : parsed) responses.push_back(&item);
    } else {
      responses.push_back(&parsed);
    }
    std::map<int, CandidateText> choices;
    std::string blocked;
    for (const json* response : responses) {
      if (!response->is_object()) return absl::InternalError("Gemini sent a response that is not a JSON object");
      ReadUsage(*response);
      if (std::string reason = BlockReason(*response); !reason.empty()) blocked = reason;
      for (auto& candidate : ReadCandidates(*response)) {
        CandidateText& choice = choices[candidate.index];
        choice.content += candidate.content;
        choice.reasoning += candidate.reasoning;
        if (!candidate.finish.empty()) choice.finish = candidate.finish;
      }
    }
    if (choices.empty()) {
      if (!blocked.empty()) return absl::InvalidArgumentError("Gemini blocked the prompt: " + blocked);
      return absl::InternalError("Gemini returned no candidates");
    }
    json out_choices = json::array();
    for (const auto& [index, choice] : choices) {
      json message = {{"role", "assistant"}, {"content", choice.content}};
      if (!choice.reasoning.empty()) message["reasoning_content"] = choice.reasoning;
      out_choices.push_back({{"index", index},
                             {"message", std::move(message)},
                             {"finish_reason", MapFinish(choice.finish)}});
    }
    json out = {{"id", info_.id},
                {"object", "chat.completion"},
                {"created", info_.created},
                {"model", info_.requested_model},
                {"choices", std::move(out_choices)}};
    if (usage_.known()) out["usage"] = UsageJson();
    return DumpJson(out);
  }

  void TranslateEvent(std::string_view data, std::vector<std::string>& out) override {
    if (done_) return;
    if (data == "[DONE]") {  // Gemini sends none, but a proxy in between might
      done_ = true;
      return;
    }
    std::vector<CandidateText> candidates;
    if (std::optional<FastEvent> fast = ReadEventFast(data)) {
      if (fast->usage) ApplyUsage(*fast->usage);
      candidates = std::move(fast->candidates);
    } else if (!ReadEventTree(data, candidates, out)) {
      return;
    }
    for (const auto& candidate : candidates) {
      if (finished_[candidate.index]) continue;
      std::optional<std::string_view> finish;
      if (!candidate.finish.empty()) {
        finish = MapFinish(candidate.finish);
        finished_[candidate.index] = true;
      }
      if (candidate.reasoning.empty() && candidate.content.empty() && !finish) continue;
      const bool first = !started_[candidate.index];
      started_[candidate.index] = true;
      out.push_back(ChunkText(candidate, first, finish));
    }
  }

  void Finish(std::vector<std::string>& out) override {
    // After an error event the stream ends with [DONE] alone.
    if (failed_ || !info_.include_usage || !usage_.known()) return;
    json chunk = Chunk(json::array());
    chunk["usage"] = UsageJson();
    out.push_back(DumpJson(chunk));
  }

  ClientError TranslateError(int status, std::string_view body) const override {
    ClientError error = ResponseTranslator::TranslateError(status, body);  // message, type by status
    auto parsed = json::parse(body, nullptr, false);
    const json* node = &parsed;
    if (node->is_array() && !node->empty()) node = &(*node)[0];
    if (node->is_object()) {
      if (auto e = node->find("error"); e != node->end() && e->is_object()) {
        // Gemini's `status` (RESOURCE_EXHAUSTED, INVALID_ARGUMENT, ...) says more than the number.
        if (auto s = e->find("status"); s != e->end() && s->is_string()) error.code = s->get<std::string>();
      }
    }
    return error;
  }

 private:
  // An event the fast reader left to the tree: false when it says nothing more
  // (not a GenerateContentResponse, or an error or a blocked prompt, which
  // went out as an error payload and ended the stream).
  bool ReadEventTree(std::string_view data, std::vector<CandidateText>& candidates, std::vector<std::string>& out) {
    json response = ParseOrDiscard(data);
    if (!response.is_object()) return false;  // not a GenerateContentResponse: nothing to say
    if (auto error = response.find("error"); error != response.end()) {
      // An error in the middle of a stream: show it to the client and stop.
      int status = 502;
      if (error->is_object()) {
        if (int64_t code = Count(*error, "code"); code >= 400 && code < 600) status = static_cast<int>(code);
      }
      out.push_back(ErrorBody(TranslateError(status, data)));
      done_ = failed_ = true;
      return false;
    }
    ReadUsage(response);
    if (std::string reason = BlockReason(response); !reason.empty()) {
      out.push_back(ErrorBody(InvalidRequest("prompt_blocked", "Gemini blocked the prompt: " + reason)));
      done_ = failed_ = true;
      return false;
    }
    candidates = ReadCandidates(response);
    return true;
  }

  void ReadUsage(const json& response) {
    auto it = response.find("usageMetadata");
    if (it == response.end() || !it->is_object()) return;
    ApplyUsage({.prompt = Count(*it, "promptTokenCount"),
                .candidates = Count(*it, "candidatesTokenCount"),
                .thoughts = Count(*it, "thoughtsTokenCount"),
                .total = Count(*it, "totalTokenCount"),
                .cached = Count(*it, "cachedContentTokenCount")});
  }

  void ApplyUsage(const UsageCounts& counts) {
    const int64_t prompt = counts.prompt, candidates = counts.candidates, thoughts = counts.thoughts,
                  total = counts.total;
    usage_.prompt_tokens = prompt;
    usage_.completion_tokens = std::max<int64_t>(candidates, 0);
    if (thoughts > 0) {
      // Gemini counts thoughts apart from candidatesTokenCount (its total is
      // prompt + candidates + thoughts); a total smaller than that means they
      // are already inside candidatesTokenCount, as some Gemini-compatible
      // servers count them.
      bool included = total >= 0 && prompt >= 0 && candidates >= 0 && total < prompt + candidates + thoughts;
      if (!included) usage_.completion_tokens += thoughts;
    }
    usage_.total_tokens = total >= 0 ? total : std::max<int64_t>(prompt, 0) + usage_.completion_tokens;
    reasoning_tokens_ = thoughts;
    cached_tokens_ = counts.cached;
  }

  json UsageJson() const {
    json usage = {{"prompt_tokens", std::max<int64_t>(usage_.prompt_tokens, 0)},
                  {"completion_tokens", std::max<int64_t>(usage_.completion_tokens, 0)},
                  {"total_tokens", std::max<int64_t>(usage_.total_tokens, 0)}};
    if (reasoning_tokens_ >= 0) usage["completion_tokens_details"] = {{"reasoning_tokens", reasoning_tokens_}};
    if (cached_tokens_ >= 0) usage["prompt_tokens_details"] = {{"cached_tokens", cached_tokens_}};
    return usage;
  }

  // DumpJson(Chunk([{"index", "delta", "finish_reason"}])) for one choice,
  // written straight: building the tree and writing it out took about a
  // quarter of a streamed Gemini answer's instructions. Keys in nlohmann's
  // order (sorted); the same bytes (GeminiStream.ChunksAreWhatTheTreeWouldWrite).
  std::string ChunkText(const CandidateText& candidate, bool with_role, std::optional<std::string_view> finish) const {
    std::string out;
    out.reserve(160 + info_.id.size() + info_.requested_model.size() + candidate.content.size() +
                candidate.reasoning.size());
    out += R"({"choices":[{"delta":{)";
    bool comma = false;
    auto member = [&](std::string_view key, std::string_view value) {
      if (comma) out += ',';
      comma = true;
      out += '"';
      out += key;
      out += "\":";
      AppendJsonStringReplacing(value, out);
    };
    if (!candidate.content.empty()) member("content", candidate.content);
    if (!candidate.reasoning.empty()) member("reasoning_content", candidate.reasoning);
    if (with_role) member("role", "assistant");
    out += R"(},"finish_reason":)";
    if (finish) {
      AppendJsonStringReplacing(*finish, out);
    } else {
      out += "null";
    }
    out += R"(,"index":)";
    AppendJsonInteger(static_cast<int64_t>(candidate.index), out);
    out += R"(}],"created":)";
    AppendJsonInteger(static_cast<int64_t>(info_.created), out);
    out += R"(,"id":)";
    AppendJsonStringReplacing(info_.id, out);
    out += R"(,"model":)";
    AppendJsonStringReplacing(info_.requested_model, out);
    out += R"(,"object":"chat.completion.chunk"})";
    return out;
  }

  json Chunk(json choices) const {
    return {{"id", info_.id},
            {"object", "chat.completion.chunk"},
            {"created", info_.created},
            {"model", info_.requested_model},
            {"choices", std::move(choices)}};
  }

  // OpenAI's finish_reason for Gemini's; a reason with no equivalent is noted
  // (once per request) for the log.
  std::string_view MapFinish(const std::string& reason) {
    if (!reason.empty() && !IsMappedGeminiFinishReason(reason)) {
      std::string note = "Gemini finishReason '" + reason.substr(0, 64) +
                         "' has no OpenAI equivalent; sent as finish_reason 'stop'";
      if (std::find(warnings_.begin(), warnings_.end(), note) == warnings_.end()) warnings_.push_back(std::move(note));
    }
    return GeminiFinishReason(reason);
  }

  RequestInfo info_;
  bool failed_ = false;  // an error event went out
  int64_t reasoning_tokens_ = -1;
  int64_t cached_tokens_ = -1;
  std::map<int, bool> started_;   // a chunk went out for this choice (the role was sent)
  std::map<int, bool> finished_;  // its finish_reason went out
};

}  // namespace

namespace {

bool IsContentFilterReason(std::string_view reason) {
  return reason == "SAFETY" || reason == "BLOCKLIST" || reason == "PROHIBITED_CONTENT" || reason == "SPII" ||
         reason == "IMAGE_SAFETY" || reason == "RECITATION";
}

}  // namespace

bool IsMappedGeminiFinishReason(std::string_view reason) {
  return reason == "STOP" || reason == "MAX_TOKENS" || IsContentFilterReason(reason);
}

std::string_view GeminiFinishReason(std::string_view reason) {
  if (reason == "MAX_TOKENS") return "length";
  if (IsContentFilterReason(reason)) return "content_filter";
  return "stop";  // STOP, and reasons OpenAI has no word for
}

std::unique_ptr<ResponseTranslator> NewGeminiTranslator(const RequestInfo& info) {
  return std::make_unique<GeminiTranslator>(info);
}

}  // namespace switchboard::providers
