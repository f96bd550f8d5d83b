#include "dataplane/providers/json_codec.h"

#include <simdjson.h>

#include <optional>

#include "dataplane/providers/simdjson_parser.h"

namespace switchboard::providers {

using nlohmann::json;

// Depth is bounded by simdjson's own limit (1024), so the recursion is too.
json ToJson(simdjson::dom::element element) {
  switch (element.type()) {
    case simdjson::dom::element_type::OBJECT: {
      json out = json::object();
      auto& object = out.get_ref<json::object_t&>();
      for (simdjson::dom::key_value_pair field : simdjson::dom::object(element)) {
        // As nlohmann's parser does, a repeated key keeps its last value.
        object[std::string(field.key)] = ToJson(field.value);
      }
      return out;
    }
    case simdjson::dom::element_type::ARRAY: {
      simdjson::dom::array array(element);
      json out = json::array();
      auto& items = out.get_ref<json::array_t&>();
      items.reserve(array.size());
      for (simdjson::dom::element item : array) items.push_back(ToJson(item));
      return out;
    }
    case simdjson::dom::element_type::STRING:
      return std::string(std::string_view(element));
    case simdjson::dom::element_type::INT64: {
      int64_t value = int64_t(element);
      // nlohmann keeps a non-negative integer as unsigned (and "-0" as signed
      // 0, which it equals and prints the same as).
      if (value >= 0) return static_cast<uint64_t>(value);
      return value;
    }
    case simdjson::dom::element_type::UINT64:
      return uint64_t(element);
    case simdjson::dom::element_type::DOUBLE:
      return double(element);
    case simdjson::dom::element_type::BOOL:
      return bool(element);
    case simdjson::dom::element_type::NULL_VALUE:
      return nullptr;
  }
  return nullptr;
}

namespace {

// As nlohmann's get<int64_t> of an integer: unsigned values beyond int64 wrap.
bool ReadInteger(simdjson::dom::element element, int64_t& out) {
  switch (element.type()) {
    case simdjson::dom::element_type::INT64: out = int64_t(element); return true;
    case simdjson::dom::element_type::UINT64: out = static_cast<int64_t>(uint64_t(element)); return true;
    default: return false;
  }
}

thread_local simdjson::dom::parser kept_parser;
thread_local uint64_t kept_parser_use = 0;  // see KeptParserUse()

}  // namespace

bool ReadDocument(std::string_view text, uint64_t kept_use, std::optional<simdjson::dom::parser>& own,
                  simdjson::dom::element& root) {
  if (kept_use != 0 && kept_use == kept_parser_use) {
    root = kept_parser.doc.root();
    return true;
  }
  constexpr size_t kKeptParserBytes = 2 << 20;
  simdjson::dom::parser* parser = &kept_parser;
  if (text.size() > kKeptParserBytes) {
    parser = &own.emplace();
  } else {
    ++kept_parser_use;
  }
  return parser->parse(text.data(), text.size(), true).get(root) == simdjson::SUCCESS;
}

uint64_t KeptParserUse() { return kept_parser_use; }

bool ScanOpenAiAnswer(std::string_view text, Usage& usage, AnswerScan& scan) {
  // Nearly every answer and chunk is decided by the quick pass; simdjson's
  // document takes what it leaves.
  if (QuickScanOpenAiAnswer(text, usage, scan)) return true;
  std::optional<simdjson::dom::parser> own;
  simdjson::dom::element root;
  if (!ReadDocument(text, 0, own, root)) return false;
  scan = AnswerScan();
  if (!root.is_object()) return true;
  scan.object = true;
  // A repeated key counts with its last value, as in nlohmann's tree.
  // (A default element refers to no document: only read those that were set.)
  simdjson::dom::element usage_value, choices_value;
  bool has_choices = false;
  for (simdjson::dom::key_value_pair field : simdjson::dom::object(root)) {
    if (field.key == "usage") {
      scan.has_usage = true;
      usage_value = field.value;
    } else if (field.key == "choices") {
      has_choices = true;
      choices_value = field.value;
    }
  }
  if (has_choices && choices_value.is_array()) scan.empty_choices = simdjson::dom::array(choices_value).size() == 0;
  if (scan.has_usage && usage_value.is_object()) {
    // Each count from its member's last occurrence; one that is not an
    // integer leaves the count as it was before the answer.
    int64_t prompt = usage.prompt_tokens, completion = usage.completion_tokens, total = usage.total_tokens;
    for (simdjson::dom::key_value_pair field : simdjson::dom::object(usage_value)) {
      if (field.key == "prompt_tokens") {
        prompt = usage.prompt_tokens;
        ReadInteger(field.value, prompt);
      } else if (field.key == "completion_tokens") {
        completion = usage.completion_tokens;
        ReadInteger(field.value, completion);
      } else if (field.key == "total_tokens") {
        total = usage.total_tokens;
        ReadInteger(field.value, total);
      }
    }
    usage = {prompt, completion, total};
  }
  return true;
}

void ParseJson(std::string_view text, json& out) { ParseJson(text, out, 0); }

void ParseJson(std::string_view text, json& out, uint64_t kept_use) {
  std::optional<simdjson::dom::parser> own;
  simdjson::dom::element root;
  if (ReadDocument(text, kept_use, own, root)) {
    out = ToJson(root);
    return;
  }
  out = json::parse(text);
}

}  // namespace switchboard::providers
