// OpenAI chat request -> Gemini generateContent request.

#include <optional>
#include <utility>

#include "common/config/validate.h"
#include "common/status.h"
#include "dataplane/providers/gemini.h"
#include "dataplane/providers/json_codec.h"

namespace switchboard::providers {
namespace {

using nlohmann::json;

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

absl::Status Invalid(std::string message) { return absl::InvalidArgumentError(std::move(message)); }

// `{"inlineData":{mimeType,data}}` from "data:<mime>;base64,<data>".
absl::StatusOr<json> ImagePart(const json& part) {
  const json* url = nullptr;
  if (auto it = part.find("image_url"); it != part.end()) {
    if (it->is_string()) {
      url = &*it;
    } else if (it->is_object()) {
      if (auto u = it->find("url"); u != it->end() && u->is_string()) url = &*u;
    }
  }
  if (url == nullptr) return Invalid("An image_url content part needs image_url.url (a string).");
  std::string_view text = url->get_ref<const std::string&>();
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
  json inline_data = {{"mimeType", std::string(meta.substr(0, meta.size() - 7))},
                      {"data", std::string(text.substr(comma + 1))}};
  return json{{"inlineData", std::move(inline_data)}};
}

// A message's content -> Gemini parts (empty text is dropped: Gemini rejects it).
absl::StatusOr<json> Parts(const json& content) {
  json parts = json::array();
  if (content.is_null()) return parts;
  if (content.is_string()) {
    if (!content.get_ref<const std::string&>().empty()) parts.push_back({{"text", content}});
    return parts;
  }
  if (!content.is_array()) return Invalid("A message's content must be a string or a list of parts.");
  for (const auto& part : content) {
    if (part.is_string()) {
      if (!part.get_ref<const std::string&>().empty()) parts.push_back({{"text", part}});
      continue;
    }
    auto type = part.is_object() ? part.find("type") : part.end();
    if (!part.is_object() || type == part.end() || !type->is_string()) {
      return Invalid("Each content part must be an object with a 'type'.");
    }
    const auto& name = type->get_ref<const std::string&>();
    if (name == "text") {
      auto text = part.find("text");
      if (text == part.end() || !text->is_string()) return Invalid("A text content part needs 'text' (a string).");
      if (!text->get_ref<const std::string&>().empty()) parts.push_back({{"text", *text}});
    } else if (name == "image_url") {
      ASSIGN_OR_RETURN(json image, ImagePart(part));
      parts.push_back(std::move(image));
    } else {
      return Invalid("Content parts of type '" + name + "' are not supported for Gemini models.");
    }
  }
  return parts;
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
json SafetySettings(const GeminiOptions& options) {
  json settings = json::array();
  for (std::string_view category : config::kGeminiHarmCategories) {
    auto it = options.safety_thresholds.find(std::string(category));
    std::string threshold = it != options.safety_thresholds.end() ? it->second : "OFF";
    settings.push_back({{"category", category}, {"threshold", std::move(threshold)}});
  }
  return settings;
}

}  // namespace

std::string NormalizeGeminiUrl(std::string_view url) {
  std::string_view trimmed = url;
  if (!trimmed.empty() && trimmed.back() == '/') trimmed.remove_suffix(1);
  if (EndsWith(trimmed, "v1beta/models")) return std::string(trimmed);
  if (EndsWith(trimmed, "v1beta")) return std::string(trimmed) + "/models";
  return std::string(trimmed) + "/v1beta/models";
}

absl::StatusOr<json> GeminiRequestBody(const json& request, const GeminiOptions& options,
                                       std::vector<std::string>* warnings) {
  auto messages = request.find("messages");
  if (messages == request.end() || !messages->is_array()) return Invalid("'messages' must be a list of messages.");

  json system_parts = json::array();
  json contents = json::array();
  for (const auto& message : *messages) {
    if (!message.is_object()) return Invalid("Each message must be an object.");
    auto role_it = message.find("role");
    std::string role = role_it != message.end() && role_it->is_string() ? role_it->get<std::string>() : "";
    auto content = message.find("content");
    ASSIGN_OR_RETURN(json parts, Parts(content == message.end() ? json() : *content));
    // Leading system/developer messages are the system instruction (unless the
    // model's config says systemInstruction: false); once the conversation
    // started, every role but assistant is a user turn.
    if (options.system_instruction && contents.empty() && (role == "system" || role == "developer")) {
      for (auto& part : parts) {
        if (!part.contains("text")) return Invalid("System messages may only hold text for Gemini models.");
        system_parts.push_back(std::move(part));
      }
      continue;
    }
    if (parts.empty()) continue;  // Gemini rejects a turn without parts
    std::string gemini_role = role == "assistant" ? "model" : "user";
    if (!contents.empty() && contents.back()["role"] == gemini_role) {
      // Gemini wants user and model turns to alternate: merge same-role neighbours.
      for (auto& part : parts) contents.back()["parts"].push_back(std::move(part));
    } else {
      contents.push_back({{"role", gemini_role}, {"parts", std::move(parts)}});
    }
  }
  // Google's reference does not say that the first content must be a user turn
  // (Content.role is just "user" or "model"), but the API has been reported to
  // refuse a history that starts with a model turn ("Please ensure that
  // multiturn requests alternate between user and model"), so a minimal user
  // turn goes first.
  if (!contents.empty() && contents.front()["role"] == "model") {
    contents.insert(contents.begin(), json{{"role", "user"}, {"parts", json::array({json{{"text", "."}}})}});
  }
  if (contents.empty()) return Invalid("The request has no user or assistant message with content.");

  json body = {{"contents", std::move(contents)}};
  if (!system_parts.empty()) body["systemInstruction"] = {{"parts", std::move(system_parts)}};
  json config = json::object();
  std::vector<std::string> ignored;
  RETURN_IF_ERROR(GenerationConfig(request, options, config, warnings != nullptr ? *warnings : ignored));
  if (!config.empty()) body["generationConfig"] = std::move(config);
  body["safetySettings"] = SafetySettings(options);
  return body;
}

absl::StatusOr<UpstreamRequest> GeminiAdapter::BuildRequest(const Target& target, json request,
                                                            std::string_view key) const {
  std::vector<std::string> warnings;
  ASSIGN_OR_RETURN(json body, GeminiRequestBody(request, target.gemini, &warnings));
  bool stream = false;
  if (auto it = request.find("stream"); it != request.end() && it->is_boolean()) stream = it->get<bool>();
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
  out.body = DumpJson(body);
  out.warnings = std::move(warnings);
  return out;
}

std::unique_ptr<ResponseTranslator> GeminiAdapter::NewTranslator(const RequestInfo& info) const {
  return NewGeminiTranslator(info);
}

}  // namespace switchboard::providers
