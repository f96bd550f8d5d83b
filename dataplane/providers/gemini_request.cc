// OpenAI chat request -> Gemini generateContent request.

#include <optional>
#include <utility>

#include "common/config/validate.h"
#include "common/status.h"
#include "dataplane/providers/chat_scan.h"
#include "dataplane/providers/gemini.h"
#include "dataplane/providers/json_codec.h"
#include "dataplane/providers/simdjson_parser.h"

namespace switchboard::providers {
namespace {

using nlohmann::json;

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

absl::Status Invalid(std::string message) { return absl::InvalidArgumentError(std::move(message)); }

// The client's messages are read from nlohmann's tree (after processors) or,
// for a body no processor touched, straight from simdjson's document: one
// reader (the templates below) over these few accessors. A repeated key counts
// with its last value in both, as nlohmann's parser keeps it.
using Element = simdjson::dom::element;

const json* Member(const json& object, const char* key) {
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}
std::optional<Element> Member(Element object, const char* key) {
  std::optional<Element> out;
  for (simdjson::dom::key_value_pair field : simdjson::dom::object(object)) {
    if (field.key == std::string_view(key)) out = field.value;
  }
  return out;
}
bool IsNull(const json& value) { return value.is_null(); }
bool IsNull(Element value) { return value.is_null(); }
bool IsString(const json& value) { return value.is_string(); }
bool IsString(Element value) { return value.is_string(); }
bool IsObject(const json& value) { return value.is_object(); }
bool IsObject(Element value) { return value.is_object(); }
bool IsArray(const json& value) { return value.is_array(); }
bool IsArray(Element value) { return value.is_array(); }
// A string's text (IsString first); it lives as long as the tree or document.
std::string_view Text(const json& value) { return value.get_ref<const std::string&>(); }
std::string_view Text(Element value) { return std::string_view(value); }
// An array's items (IsArray first).
const json& Items(const json& value) { return value; }
simdjson::dom::array Items(Element value) { return simdjson::dom::array(value); }

// One Gemini part: text, or an image sent inline. The views point into the
// client's request, which outlives the body written from them.
struct Part {
  std::string_view text;       // a text part, when `mime_type` is empty
  std::string_view mime_type;  // an inlineData part: its mimeType ...
  std::string_view data;       // ... and its base64 data

  static Part Text(std::string_view text) { return {text, {}, {}}; }
  static Part Image(std::string_view mime_type, std::string_view data) { return {{}, mime_type, data}; }
};
using Parts = std::vector<Part>;

// The inlineData part for "data:<mime>;base64,<data>".
template <class Value>
absl::StatusOr<Part> ImagePart(const Value& part) {
  std::optional<std::string_view> url;
  if (auto image = Member(part, "image_url")) {
    if (IsString(*image)) {
      url = Text(*image);
    } else if (IsObject(*image)) {
      if (auto u = Member(*image, "url"); u && IsString(*u)) url = Text(*u);
    }
  }
  if (!url) return Invalid("An image_url content part needs image_url.url (a string).");
  std::string_view text = *url;
  if (text.rfind("data:", 0) != 0) {
    return Invalid(
        "Gemini models accept images only as data URLs (data:image/png;base64,...); remote image URLs are not "
        "supported.");
  }
  size_t comma = text.find(',');
  std::string_view meta = text.substr(5, comma == std::string_view::npos ? 0 : comma - 5);
  if (comma == std::string_view::npos || !EndsWith(meta, ";base64") || meta.size() == 7) {
    return Invalid("An image data URL must look like data:<mime type>;base64,<data>.");
  }
  return Part::Image(meta.substr(0, meta.size() - 7), text.substr(comma + 1));
}

// A message's content (none when null) -> Gemini parts, appended to `parts`
// (empty text is dropped: Gemini rejects it).
template <class Value>
absl::Status AppendParts(const Value* content, Parts& parts) {
  auto text_part = [&parts](std::string_view text) {
    if (!text.empty()) parts.push_back(Part::Text(text));
  };
  if (content == nullptr || IsNull(*content)) return absl::OkStatus();
  if (IsString(*content)) {
    text_part(Text(*content));
    return absl::OkStatus();
  }
  if (!IsArray(*content)) return Invalid("A message's content must be a string or a list of parts.");
  for (const auto& part : Items(*content)) {
    if (IsString(part)) {
      text_part(Text(part));
      continue;
    }
    auto type = IsObject(part) ? Member(part, "type") : decltype(Member(part, "type")){};
    if (!type || !IsString(*type)) return Invalid("Each content part must be an object with a 'type'.");
    const std::string_view name = Text(*type);
    if (name == "text") {
      auto text = Member(part, "text");
      if (!text || !IsString(*text)) return Invalid("A text content part needs 'text' (a string).");
      text_part(Text(*text));
    } else if (name == "image_url") {
      ASSIGN_OR_RETURN(Part image, ImagePart(part));
      parts.push_back(image);
    } else {
      return Invalid("Content parts of type '" + std::string(name) + "' are not supported for Gemini models.");
    }
  }
  return absl::OkStatus();
}

// {"parts":[...]}, then the role when there is one; keys in the order
// nlohmann writes them (sorted), as the rest of the body.
void AppendContent(const Parts& parts, std::string_view role, std::string& out) {
  out += R"({"parts":[)";
  bool comma = false;
  for (const Part& part : parts) {
    if (comma) out += ',';
    comma = true;
    if (part.mime_type.empty()) {
      out += R"({"text":)";
      AppendJsonStringReplacing(part.text, out);
    } else {
      out += R"({"inlineData":{"data":)";
      AppendJsonStringReplacing(part.data, out);
      out += R"(,"mimeType":)";
      AppendJsonStringReplacing(part.mime_type, out);
      out += '}';
    }
    out += '}';
  }
  out += ']';
  if (!role.empty()) {
    out += R"(,"role":")";
    out += role;
    out += '"';
  }
  out += '}';
}

absl::Status CopyNumber(const json& request, const char* from, json& config, const char* to) {
  auto it = request.find(from);
  if (it == request.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_number()) return Invalid(std::string("'") + from + "' must be a number.");
  config[to] = *it;
  return absl::OkStatus();
}

absl::Status CopyInteger(const json& request, const char* from, json& config, const char* to) {
  auto it = request.find(from);
  if (it == request.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_number_integer()) return Invalid(std::string("'") + from + "' must be an integer.");
  config[to] = *it;
  return absl::OkStatus();
}

// thinkingConfig: the model's thinkingBudget wins over the client's
// reasoning_effort (still checked, so a typo is an error either way);
// includeThoughts is the model's setting, else on whenever a budget other than
// 0 goes out.
absl::Status ThinkingConfig(const json& request, const GeminiOptions& options, json& config) {
  std::optional<int64_t> budget;
  if (auto effort = request.find("reasoning_effort"); effort != request.end() && !effort->is_null()) {
    std::string value = effort->is_string() ? effort->get<std::string>() : "";
    if (value == "none") budget = 0;
    if (value == "minimal" || value == "low") budget = 1024;
    if (value == "medium") budget = 8192;
    if (value == "high") budget = 24576;
    if (!budget) return Invalid("'reasoning_effort' must be one of none, minimal, low, medium, high.");
  }
  if (options.thinking_budget) budget = *options.thinking_budget;
  std::optional<bool> include = options.include_thoughts;
  if (!include && budget && *budget != 0) include = true;
  if (!budget && !include) return absl::OkStatus();
  json thinking = json::object();
  if (budget) thinking["thinkingBudget"] = *budget;
  if (include) thinking["includeThoughts"] = *include;
  config["thinkingConfig"] = std::move(thinking);
  return absl::OkStatus();
}

absl::Status GenerationConfig(const json& request, const GeminiOptions& options, json& config,
                              std::vector<std::string>& warnings) {
  RETURN_IF_ERROR(CopyNumber(request, "temperature", config, "temperature"));
  RETURN_IF_ERROR(CopyNumber(request, "top_p", config, "topP"));
  RETURN_IF_ERROR(CopyInteger(request, "top_k", config, "topK"));
  RETURN_IF_ERROR(CopyInteger(request, "max_tokens", config, "maxOutputTokens"));
  // max_completion_tokens is OpenAI's newer name; it wins when both are set.
  RETURN_IF_ERROR(CopyInteger(request, "max_completion_tokens", config, "maxOutputTokens"));
  RETURN_IF_ERROR(CopyInteger(request, "n", config, "candidateCount"));
  RETURN_IF_ERROR(CopyNumber(request, "presence_penalty", config, "presencePenalty"));
  RETURN_IF_ERROR(CopyNumber(request, "frequency_penalty", config, "frequencyPenalty"));
  RETURN_IF_ERROR(CopyInteger(request, "seed", config, "seed"));

  if (auto stop = request.find("stop"); stop != request.end() && !stop->is_null()) {
    json sequences = json::array();
    if (stop->is_string()) {
      sequences.push_back(*stop);
    } else if (stop->is_array()) {
      for (const auto& s : *stop) {
        if (!s.is_string()) return Invalid("'stop' must be a string or a list of strings.");
        if (sequences.size() < kGeminiMaxStopSequences) sequences.push_back(s);
      }
      if (stop->size() > kGeminiMaxStopSequences) {
        // Gemini would refuse the request; losing a few stop strings is better.
        warnings.push_back("stop: Gemini takes at most " + std::to_string(kGeminiMaxStopSequences) +
                           " stop sequences; sent the first " + std::to_string(kGeminiMaxStopSequences) + " of " +
                           std::to_string(stop->size()));
      }
    } else {
      return Invalid("'stop' must be a string or a list of strings.");
    }
    if (!sequences.empty()) config["stopSequences"] = std::move(sequences);
  }

  if (auto format = request.find("response_format"); format != request.end() && format->is_object()) {
    auto type = format->find("type");
    std::string kind = type != format->end() && type->is_string() ? type->get<std::string>() : "";
    if (kind == "json_object") {
      config["responseMimeType"] = "application/json";
    } else if (kind == "json_schema") {
      config["responseMimeType"] = "application/json";
      if (auto spec = format->find("json_schema"); spec != format->end() && spec->is_object()) {
        if (auto schema = spec->find("schema"); schema != spec->end() && schema->is_object()) {
          config["responseSchema"] = *schema;
        }
      }
    } else if (kind != "text" && !kind.empty()) {
      return Invalid("response_format type '" + kind + "' is not supported for Gemini models.");
    }
  }

  return ThinkingConfig(request, options, config);
}

// Every category, at OFF unless the model's config says otherwise (what
// roleplay clients send; some models want BLOCK_NONE instead).
void AppendSafetySettings(const GeminiOptions& options, std::string& out) {
  out += '[';
  bool comma = false;
  for (std::string_view category : config::kGeminiHarmCategories) {
    if (comma) out += ',';
    comma = true;
    auto it = options.safety_thresholds.find(std::string(category));
    out += R"({"category":)";
    AppendJsonStringReplacing(category, out);
    out += R"(,"threshold":)";
    AppendJsonStringReplacing(it != options.safety_thresholds.end() ? std::string_view(it->second) : "OFF", out);
    out += '}';
  }
  out += ']';
}

// The body for `messages` (IsArray) and the request's other members in
// `settings` (the sampling settings and the like, read by GenerationConfig).
template <class Value>
absl::StatusOr<std::string> BodyText(const Value& messages, const json& settings, const GeminiOptions& options,
                                     std::vector<std::string>* warnings) {
  struct Turn {
    bool model;  // else a user turn
    Parts parts;
  };
  Parts system_parts;
  std::vector<Turn> contents;
  contents.reserve(16);
  contents.push_back({false, {Part::Text(".")}});  // kept only when the first turn is the model's: see below
  size_t text_bytes = 0;
  Parts parts;
  for (const auto& message : Items(messages)) {
    if (!IsObject(message)) return Invalid("Each message must be an object.");
    auto role_value = Member(message, "role");
    const std::string_view role = role_value && IsString(*role_value) ? Text(*role_value) : std::string_view();
    auto content = Member(message, "content");
    parts.clear();
    RETURN_IF_ERROR(AppendParts(content ? &*content : nullptr, parts));
    for (const Part& part : parts) text_bytes += part.text.size() + part.data.size();
    // Leading system/developer messages are the system instruction (unless the
    // model's config says systemInstruction: false); once the conversation
    // started, every role but assistant is a user turn.
    if (options.system_instruction && contents.size() == 1 && (role == "system" || role == "developer")) {
      for (const Part& part : parts) {
        if (!part.mime_type.empty()) return Invalid("System messages may only hold text for Gemini models.");
        system_parts.push_back(part);
      }
      continue;
    }
    if (parts.empty()) continue;  // Gemini rejects a turn without parts
    const bool model = role == "assistant";
    if (contents.size() > 1 && contents.back().model == model) {
      // Gemini wants user and model turns to alternate: merge same-role neighbours.
      contents.back().parts.insert(contents.back().parts.end(), parts.begin(), parts.end());
    } else {
      contents.push_back({model, parts});
    }
  }
  if (contents.size() == 1) return Invalid("The request has no user or assistant message with content.");
  // Google's reference does not say that the first content must be a user turn
  // (Content.role is just "user" or "model"), but the API has been reported to
  // refuse a history that starts with a model turn ("Please ensure that
  // multiturn requests alternate between user and model"), so a minimal user
  // turn goes first.
  const size_t first = contents[1].model ? 0 : 1;

  json config = json::object();
  std::vector<std::string> ignored;
  RETURN_IF_ERROR(GenerationConfig(settings, options, config, warnings != nullptr ? *warnings : ignored));

  // Written straight from the client's strings, in the order nlohmann writes
  // a tree's keys: building the body as a tree copied every string of the
  // conversation and took half of a Gemini request's instructions.
  std::string out;
  out.reserve(text_bytes + text_bytes / 8 + 64 * contents.size() + 512);
  out += R"({"contents":[)";
  for (size_t i = first; i < contents.size(); ++i) {
    if (i != first) out += ',';
    AppendContent(contents[i].parts, contents[i].model ? "model" : "user", out);
  }
  out += ']';
  if (!config.empty()) {
    out += R"(,"generationConfig":)";
    out += DumpJson(config);
  }
  out += R"(,"safetySettings":)";
  AppendSafetySettings(options, out);
  if (!system_parts.empty()) {
    out += R"(,"systemInstruction":)";
    AppendContent(system_parts, "", out);
  }
  out += '}';
  return out;
}

// The request to send: `body` to the model's generateContent, or
// streamGenerateContent for a stream.
UpstreamRequest Upstream(const Target& target, bool stream, std::string_view key, std::string body,
                         std::vector<std::string> warnings) {
  std::string_view model = target.model_name;
  if (model.rfind("models/", 0) == 0) model.remove_prefix(7);  // Google's own listings spell it so
  UpstreamRequest out;
  out.url = target.url;
  std::string& path = out.url.target;
  if (!path.empty() && path.back() == '/') path.pop_back();
  path += "/";
  path += model;
  path += stream ? ":streamGenerateContent?alt=sse" : ":generateContent";
  out.headers.emplace_back("Content-Type", "application/json");
  out.headers.emplace_back("Accept", stream ? "text/event-stream" : "application/json");
  if (!key.empty()) out.headers.emplace_back("x-goog-api-key", std::string(key));
  out.body = std::move(body);
  out.warnings = std::move(warnings);
  return out;
}

}  // namespace

std::string NormalizeGeminiUrl(std::string_view url) {
  std::string_view trimmed = url;
  if (!trimmed.empty() && trimmed.back() == '/') trimmed.remove_suffix(1);
  if (EndsWith(trimmed, "v1beta/models")) return std::string(trimmed);
  if (EndsWith(trimmed, "v1beta")) return std::string(trimmed) + "/models";
  return std::string(trimmed) + "/v1beta/models";
}

absl::StatusOr<std::string> GeminiRequestBody(const json& request, const GeminiOptions& options,
                                              std::vector<std::string>* warnings) {
  auto messages = request.find("messages");
  if (messages == request.end() || !messages->is_array()) return Invalid("'messages' must be a list of messages.");
  return BodyText(*messages, request, options, warnings);
}

absl::StatusOr<UpstreamRequest> GeminiAdapter::BuildRequest(const Target& target, json request,
                                                            std::string_view key) const {
  std::vector<std::string> warnings;
  ASSIGN_OR_RETURN(std::string body, GeminiRequestBody(request, target.gemini, &warnings));
  bool stream = false;
  if (auto it = request.find("stream"); it != request.end() && it->is_boolean()) stream = it->get<bool>();
  return Upstream(target, stream, key, std::move(body), std::move(warnings));
}

absl::StatusOr<UpstreamRequest> GeminiAdapter::BuildPassthrough(const Target& target, std::string_view text,
                                                                const ChatBodyScan& scan, std::string_view key) const {
  // The document ScanChatBody left in the thread's parser, or the text again
  // when something parsed since (a retry's answer, say).
  std::optional<simdjson::dom::parser> own;
  Element root;
  if (!ReadDocument(text, scan.kept_use, own, root) || !root.is_object()) {
    return absl::InternalError("a scanned request body no longer parses");
  }
  // Only the messages are read from the document; the other members (a few
  // numbers and strings) become a small tree for GenerationConfig.
  std::optional<Element> messages;
  json settings = json::object();
  for (simdjson::dom::key_value_pair field : simdjson::dom::object(root)) {
    if (field.key == "messages") {
      messages = field.value;
    } else {
      settings[std::string(field.key)] = ToJson(field.value);
    }
  }
  if (!messages || !messages->is_array()) return Invalid("'messages' must be a list of messages.");
  std::vector<std::string> warnings;
  ASSIGN_OR_RETURN(std::string body, BodyText(*messages, settings, target.gemini, &warnings));
  return Upstream(target, scan.stream, key, std::move(body), std::move(warnings));
}

std::unique_ptr<ResponseTranslator> GeminiAdapter::NewTranslator(const RequestInfo& info) const {
  return NewGeminiTranslator(info);
}

}  // namespace switchboard::providers
