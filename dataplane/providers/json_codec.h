#pragma once
// Fast JSON in and out for request bodies, which in long roleplay chats reach
// megabytes. nlohmann::json's own lexer and serializer handle a string one
// character at a time (about 25 ms to parse and 15 ms to write back a 1 MiB
// conversation here); these do the same in about a tenth of the time and give
// exactly the same results:
// - ParseJson validates with simdjson (SIMD, gigabytes per second) and builds
//   the nlohmann tree from it, each string copied once. Whatever simdjson
//   refuses or cannot represent the same way (integers beyond 64 bits, nesting
//   deeper than 1024) is left to nlohmann's parser, which decides and reports.
// - DumpJson (common/json_write.h) writes what nlohmann's dump(-1, ' ',
//   false, replace) writes.
// Both are pure and thread-safe (ParseJson keeps one simdjson parser per
// thread).

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/json_write.h"
#include "dataplane/providers/provider.h"

namespace switchboard::providers {

// Parses `text` into `out`. Throws nlohmann::json::parse_error exactly where
// nlohmann::json::parse(text) would.
void ParseJson(std::string_view text, nlohmann::json& out);
// The same, from the document ScanChatBody left in the thread's parser when
// `kept_use` (ChatBodyScan::kept_use) says it is still there; else as above.
void ParseJson(std::string_view text, nlohmann::json& out, uint64_t kept_use);

using ::switchboard::DumpJson;

// What the OpenAI-compatible translator needs from an upstream answer (a
// whole body or one streamed chunk), read without building a tree.
struct AnswerScan {
  bool object = false;         // the value is an object
  bool has_usage = false;      // ... with a "usage" member
  bool empty_choices = false;  // ... and "choices": [] (a usage-only chunk)
};

// Validates `text` with simdjson and fills `scan`, and `usage` from its
// "usage" object as ReadOpenAiUsage does. False when simdjson refuses the
// text: the caller then asks nlohmann, which also accepts what simdjson
// cannot represent (integers beyond 64 bits) and has the last word.
bool ScanOpenAiAnswer(std::string_view text, Usage& usage, AnswerScan& scan);

// ScanOpenAiAnswer's first step (answer_scan.cc): one pass over the bytes, no
// tree, which checks `text` against JSON's grammar (RFC 8259, with UTF-8 and
// escapes checked as nlohmann's parser checks them) and reads what
// ScanOpenAiAnswer reads, with the same results. False, `usage` and `scan`
// untouched, when the text is not JSON or when this pass leaves it to the full
// parse: nesting deeper than 64, a key it reads written with an escape, a
// count that is negative or longer than 18 digits, a number that might be
// beyond a double's range (over 300 digits before the point, its exponent
// counted).
bool QuickScanOpenAiAnswer(std::string_view text, Usage& usage, AnswerScan& scan);

}  // namespace switchboard::providers
