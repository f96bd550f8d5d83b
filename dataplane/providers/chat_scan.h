#pragma once
// A first look at a chat-completions body without building a JSON tree, for
// the common request that no processor or prefill changes: it then goes
// upstream as the client wrote it, with only the `model` value replaced
// (OpenAiCompatAdapter::BuildPassthrough), or is translated straight from the
// simdjson document the scan leaves (GeminiAdapter::BuildPassthrough). A 1 MiB
// roleplay history is validated and copied instead of being parsed into a tree
// and written back.
//
// The scan only says yes to a body it can pass on exactly: valid JSON (simdjson
// decides), an object with unique top-level keys (`model` and the keys before
// it written without escapes: the text is only walked that far), a
// non-empty string `model`, an array `messages`, a boolean or null `stream`,
// and no `stream_options` (a streamed request adds its own). Anything else
// goes the tree way (ParseChatBody), which also words the errors.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace switchboard::providers {

struct ChatBodyScan {
  std::string model;          // the `model` value, unescaped
  bool stream = false;        // `stream` is true
  size_t model_begin = 0;     // the `model` value is text[model_begin, model_end),
  size_t model_end = 0;       //   quotes included
  size_t close = 0;           // the position of the object's closing '}'
  // The use of the thread's simdjson parser that holds the body's document
  // (0: none): ParseJson(text, tree, kept_use) builds the tree from it
  // instead of parsing the body again, if nothing has parsed since.
  uint64_t kept_use = 0;
};

// True when `text` is such a body; fills `scan`.
bool ScanChatBody(std::string_view text, ChatBodyScan& scan);

// The body with its `model` value replaced by `model` and, when
// `add_stream_usage`, "stream_options":{"include_usage":true} added.
std::string RewriteChatBody(std::string_view text, const ChatBodyScan& scan, std::string_view model,
                            bool add_stream_usage);

}  // namespace switchboard::providers
