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

// What one GenerateContentResponse (a whole answer, or one streamed event)
// says, read straight from simdjson's document: no tree is built. A repeated
// key counts with its last value, as in nlohmann's tree; a value of the wrong
// type is as good as none.
struct ResponseContent {
  std::vector<CandidateText> candidates;  // in the order sent
  std::optional<UsageCounts> usage;       // usageMetadata, when an object
  bool error = false;                     // an "error" member, whatever its value
  int64_t error_code = -1;                // error.code
  std::string block_reason;               // promptFeedback.blockReason when no candidate came
};

using simdjson::dom::element;
using simdjson::dom::key_value_pair;

CandidateText ReadCandidate(element candidate, int position) {
  CandidateText text;
  text.index = position;
  element parts;
  bool has_parts = false;
  for (key_value_pair field : simdjson::dom::object(candidate)) {
    if (field.key == "index") {
      if (field.value.is_int64()) text.index = static_cast<int>(int64_t(field.value));
      else if (field.value.is_uint64()) text.index = static_cast<int>(uint64_t(field.value));
      else text.index = position;
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
  if (!has_parts || !parts.is_array()) return text;
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
  return text;
}

// `object` must be an object.
ResponseContent ReadResponse(element object) {
  ResponseContent out;
  element candidates, usage, error, feedback;
  bool has_candidates = false, has_usage = false, has_feedback = false;
  for (key_value_pair field : simdjson::dom::object(object)) {
    if (field.key == "candidates") {
      has_candidates = true;
      candidates = field.value;
    } else if (field.key == "usageMetadata") {
      has_usage = true;
      usage = field.value;
    } else if (field.key == "error") {
      out.error = true;
      error = field.value;
    } else if (field.key == "promptFeedback") {
      has_feedback = true;
      feedback = field.value;
    }
  }
  if (out.error && error.is_object()) {
    for (key_value_pair field : simdjson::dom::object(error)) {
      if (field.key == "code") out.error_code = Count(field.value);
    }
  }
  bool any_candidate = false;
  if (has_candidates && candidates.is_array()) {
    int position = 0;
    for (element candidate : simdjson::dom::array(candidates)) {
      any_candidate = true;
      const int position_here = position++;
      if (candidate.is_object()) out.candidates.push_back(ReadCandidate(candidate, position_here));
    }
  }
  if (!any_candidate && has_feedback && feedback.is_object()) {
    for (key_value_pair field : simdjson::dom::object(feedback)) {
      if (field.key == "blockReason") {
        out.block_reason = field.value.is_string() ? std::string(std::string_view(field.value)) : std::string();
      }
    }
  }
  if (has_usage && usage.is_object()) {
    UsageCounts& counts = out.usage.emplace();
    for (key_value_pair field : simdjson::dom::object(usage)) {
      if (field.key == "promptTokenCount") counts.prompt = Count(field.value);
      else if (field.key == "candidatesTokenCount") counts.candidates = Count(field.value);
      else if (field.key == "thoughtsTokenCount") counts.thoughts = Count(field.value);
      else if (field.key == "totalTokenCount") counts.total = Count(field.value);
      else if (field.key == "cachedContentTokenCount") counts.cached = Count(field.value);
    }
  }
  return out;
}

// `text` as simdjson's document: false when it is not JSON. simdjson refuses
// some JSON nlohmann reads (an integer beyond 64 bits, which nlohmann keeps as
// a double): such text is read as nlohmann writes it back, so both agree on
// what is JSON. (Nesting deeper than simdjson's 1024 levels still fails; no
// Gemini response nests like that.) The result lives until the thread's next
// parse.
bool ParseDocument(std::string_view text, std::optional<simdjson::dom::parser>& own, element& root) {
  if (ReadDocument(text, 0, own, root)) return true;
  auto tree = nlohmann::json::parse(text, nullptr, false);
  if (tree.is_discarded()) return false;
  const std::string rewritten = DumpJson(tree);
  own.reset();
  return ReadDocument(rewritten, 0, own, root);
}

class GeminiTranslator : public ResponseTranslator {
 public:
  explicit GeminiTranslator(RequestInfo info) : info_(std::move(info)) {}

  absl::StatusOr<std::string> TranslateBody(std::string body) override {
    std::optional<simdjson::dom::parser> own;
    element root;
    if (!ParseDocument(body, own, root)) return absl::InternalError("Gemini sent a response that is not JSON");
    // streamGenerateContent without alt=sse answers a JSON list of responses.
    std::vector<element> responses;
    if (root.is_array()) {
      for (element item : simdjson::dom::array(root)) responses.push_back(item);
    } else {
      responses.push_back(root);
    }
    std::map<int, CandidateText> choices;
    std::string blocked;
    for (element item : responses) {
      if (!item.is_object()) return absl::InternalError("Gemini sent a response that is not a JSON object");
      ResponseContent response = ReadResponse(item);
      if (response.usage) ApplyUsage(*response.usage);
      if (!response.block_reason.empty()) blocked = std::move(response.block_reason);
      for (auto& candidate : response.candidates) {
        CandidateText& choice = choices[candidate.index];
        choice.content += candidate.content;
        choice.reasoning += candidate.reasoning;
        if (!candidate.finish.empty()) choice.finish = std::move(candidate.finish);
      }
    }
    if (choices.empty()) {
      if (!blocked.empty()) return absl::InvalidArgumentError("Gemini blocked the prompt: " + blocked);
      return absl::InternalError("Gemini returned no candidates");
    }
    return CompletionText(choices);
  }

  void TranslateEvent(std::string_view data, PayloadSink& out) override {
    if (done_) return;
    if (data == "[DONE]") {  // Gemini sends none, but a proxy in between might
      done_ = true;
      return;
    }
    std::optional<simdjson::dom::parser> own;
    element root;
    if (!ParseDocument(data, own, root) || !root.is_object()) return;  // not a GenerateContentResponse: nothing to say
    ResponseContent response = ReadResponse(root);
    if (response.error) {
      // An error in the middle of a stream: show it to the client and stop.
      const int status = response.error_code >= 400 && response.error_code < 600
                             ? static_cast<int>(response.error_code) : 502;
      out.Add(ErrorBody(TranslateError(status, data)));
      done_ = failed_ = true;
      return;
    }
    if (response.usage) ApplyUsage(*response.usage);
    if (!response.block_reason.empty()) {
      out.Add(ErrorBody(InvalidRequest("prompt_blocked", "Gemini blocked the prompt: " + response.block_reason)));
      done_ = failed_ = true;
      return;
    }
    for (const auto& candidate : response.candidates) {
      if (finished_[candidate.index]) continue;
      std::optional<std::string_view> finish;
      if (!candidate.finish.empty()) {
        finish = MapFinish(candidate.finish);
        finished_[candidate.index] = true;
      }
      if (candidate.reasoning.empty() && candidate.content.empty() && !finish) continue;
      const bool first = !started_[candidate.index];
      started_[candidate.index] = true;
      out.Add(ChunkText(candidate, first, finish));
    }
  }

  void Finish(PayloadSink& out) override {
    // After an error event the stream ends with [DONE] alone.
    if (failed_ || !info_.include_usage || !usage_.known()) return;
    std::string chunk = R"({"choices":[],)";
    AppendCommon("chat.completion.chunk", chunk);
    chunk += R"(,"usage":)";
    AppendUsage(chunk);
    chunk += '}';
    out.Add(chunk);
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

  // What follows is written straight, not built as a tree and dumped (which
  // took about a quarter of a translated answer's instructions), with the
  // keys in the order nlohmann writes them (sorted): the very bytes DumpJson
  // of the tree writes (GeminiResponse.BodiesAreWhatTheTreeWouldWrite,
  // GeminiStream.ChunksAreWhatTheTreeWouldWrite).

  // The usage object.
  void AppendUsage(std::string& out) const {
    // A details object, when its count is known.
    auto details = [&out](std::string_view opening, int64_t count) {
      if (count < 0) return;
      out += opening;
      AppendJsonInteger(count, out);
      out += '}';
    };
    out += R"({"completion_tokens":)";
    AppendJsonInteger(std::max<int64_t>(usage_.completion_tokens, 0), out);
    details(R"(,"completion_tokens_details":{"reasoning_tokens":)", reasoning_tokens_);
    out += R"(,"prompt_tokens":)";
    AppendJsonInteger(std::max<int64_t>(usage_.prompt_tokens, 0), out);
    details(R"(,"prompt_tokens_details":{"cached_tokens":)", cached_tokens_);
    out += R"(,"total_tokens":)";
    AppendJsonInteger(std::max<int64_t>(usage_.total_tokens, 0), out);
    out += '}';
  }

  // The members every object has after "choices".
  void AppendCommon(std::string_view object, std::string& out) const {
    out += R"("created":)";
    AppendJsonInteger(static_cast<int64_t>(info_.created), out);
    out += R"(,"id":)";
    AppendJsonStringReplacing(info_.id, out);
    out += R"(,"model":)";
    AppendJsonStringReplacing(info_.requested_model, out);
    out += R"(,"object":")";
    out += object;
    out += '"';
  }

  // The chat.completion object for the choices of a whole answer.
  std::string CompletionText(const std::map<int, CandidateText>& choices) {
    std::string out;
    size_t reserve = 256 + info_.id.size() + info_.requested_model.size();
    for (const auto& [index, choice] : choices) reserve += 96 + choice.content.size() + choice.reasoning.size();
    out.reserve(reserve);
    out += R"({"choices":[)";
    bool comma = false;
    for (const auto& [index, choice] : choices) {
      if (comma) out += ',';
      comma = true;
      out += R"({"finish_reason":)";
      AppendJsonStringReplacing(MapFinish(choice.finish), out);
      out += R"(,"index":)";
      AppendJsonInteger(static_cast<int64_t>(index), out);
      out += R"(,"message":{"content":)";
      AppendJsonStringReplacing(choice.content, out);
      if (!choice.reasoning.empty()) {
        out += R"(,"reasoning_content":)";
        AppendJsonStringReplacing(choice.reasoning, out);
      }
      out += R"(,"role":"assistant"}})";
    }
    out += "],";
    AppendCommon("chat.completion", out);
    if (usage_.known()) {
      out += R"(,"usage":)";
      AppendUsage(out);
    }
    out += '}';
    return out;
  }

  // The chat.completion.chunk for one choice.
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
    out += "}],";
    AppendCommon("chat.completion.chunk", out);
    out += '}';
    return out;
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
