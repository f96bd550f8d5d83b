#include "dataplane/providers/chat_scan.h"

#include <simdjson.h>

#include <cstring>
#include <optional>
#include <vector>

#include "common/json_write.h"
#include "dataplane/providers/simdjson_parser.h"

namespace switchboard::providers {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Walks the members of the top-level object of a text simdjson has already
// validated, so it only needs to find where things are, not to check them.
class TopLevel {
 public:
  explicit TopLevel(std::string_view text) : s_(text) {}

  void SkipSpace() {
    while (i_ < s_.size() && IsSpace(s_[i_])) ++i_;
  }

  // At a '"': moves past the closing quote. Runs of string text are skipped
  // with memchr (conversations are mostly string).
  void SkipString() {
    ++i_;
    for (;;) {
      const void* quote = std::memchr(s_.data() + i_, '"', s_.size() - i_);
      if (quote == nullptr) {
        i_ = s_.size();
        return;
      }
      size_t at = static_cast<size_t>(static_cast<const char*>(quote) - s_.data());
      size_t backslashes = 0;
      while (at - backslashes > i_ && s_[at - backslashes - 1] == '\\') ++backslashes;
      i_ = at + 1;
      if (backslashes % 2 == 0) return;  // not escaped
    }
  }

  // At the start of a value: moves past it.
  void SkipValue() {
    char c = s_[i_];
    if (c == '"') {
      SkipString();
      return;
    }
    if (c == '{' || c == '[') {
      size_t depth = 0;
      while (i_ < s_.size()) {
        char d = s_[i_];
        if (d == '"') {
          SkipString();
          continue;
        }
        if (d == '{' || d == '[') ++depth;
        if (d == '}' || d == ']') {
          --depth;
          if (depth == 0) {
            ++i_;
            return;
          }
        }
        ++i_;
      }
      return;
    }
    while (i_ < s_.size() && s_[i_] != ',' && s_[i_] != '}' && s_[i_] != ']' && !IsSpace(s_[i_])) ++i_;
  }

  size_t pos() const { return i_; }
  char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  void advance() { ++i_; }

 private:
  std::string_view s_;
  size_t i_ = 0;
};

}  // namespace

bool ScanChatBody(std::string_view text, ChatBodyScan& scan) {
  // 1. Valid JSON, and the members the router reads, as a tree would see them.
  std::optional<simdjson::dom::parser> own;
  simdjson::dom::element root;
  if (!ReadDocument(text, 0, own, root)) return false;
  if (!root.is_object()) return false;
  scan = ChatBodyScan();
  if (!own) scan.kept_use = KeptParserUse();
  bool has_model = false, has_messages = false;
  std::vector<std::string_view> keys;
  keys.reserve(16);  // a chat body has about ten top-level keys: one allocation
  for (simdjson::dom::key_value_pair field : simdjson::dom::object(root)) {
    for (std::string_view seen : keys) {
      if (seen == field.key) return false;  // a repeated key: which one counts is the tree's call
    }
    keys.push_back(field.key);
    if (field.key == "model") {
      std::string_view model;
      if (field.value.get(model) != simdjson::SUCCESS || model.empty()) return false;
      scan.model = std::string(model);
      has_model = true;
    } else if (field.key == "messages") {
      if (!field.value.is_array()) return false;
      has_messages = true;
    } else if (field.key == "stream") {
      bool stream = false;
      if (field.value.get(stream) == simdjson::SUCCESS) {
        scan.stream = stream;
      } else if (!field.value.is_null()) {
        return false;
      }
    } else if (field.key == "stream_options") {
      return false;
    }
  }
  if (!has_model || !has_messages) return false;

  // 2. Where the model value and the closing brace are in the text. The text
  // is one valid object, so its closing brace is its last non-space
  // character; the members are walked only as far as "model" (usually
  // first), whose key is unique (checked above).
  size_t close = text.size();
  while (close > 0 && IsSpace(text[close - 1])) --close;
  if (close == 0 || text[close - 1] != '}') return false;
  scan.close = close - 1;
  TopLevel walk(text);
  walk.SkipSpace();
  if (walk.peek() != '{') return false;
  walk.advance();
  for (;;) {
    walk.SkipSpace();
    if (walk.peek() != '"') return false;  // '}': the end, and no "model" before it
    size_t key_begin = walk.pos() + 1;
    walk.SkipString();
    std::string_view key = text.substr(key_begin, walk.pos() - 1 - key_begin);
    if (key.find('\\') != std::string_view::npos) return false;  // an escaped key: leave it to the tree
    walk.SkipSpace();
    if (walk.peek() != ':') return false;
    walk.advance();
    walk.SkipSpace();
    size_t value_begin = walk.pos();
    walk.SkipValue();
    if (key == "model") {
      scan.model_begin = value_begin;
      scan.model_end = walk.pos();
      return scan.model_end > scan.model_begin && text[scan.model_begin] == '"';
    }
    walk.SkipSpace();
    if (walk.peek() != ',') return false;  // the closing brace, and no "model" before it
    walk.advance();
  }
}

std::string RewriteChatBody(std::string_view text, const ChatBodyScan& scan, std::string_view model,
                            bool add_stream_usage) {
  constexpr std::string_view kStreamUsage = ",\"stream_options\":{\"include_usage\":true}";
  std::string out;
  out.reserve(text.size() + model.size() + kStreamUsage.size() + 8);
  out.append(text.substr(0, scan.model_begin));
  AppendJsonStringReplacing(model, out);
  out.append(text.substr(scan.model_end, scan.close - scan.model_end));
  if (add_stream_usage) out.append(kStreamUsage);  // `model` is a member, so the object is not empty
  out.append(text.substr(scan.close));
  return out;
}

}  // namespace switchboard::providers
