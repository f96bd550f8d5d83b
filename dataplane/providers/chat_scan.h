#pragma once
// A first look at a chat-completions body without building a JSON tree, for
// the common request that no processor or prefill changes: it then goes
// upstream as the client wrote it, with only the `model` value replaced
// (OpenAiCompatAdapter::BuildPassthrough), or is translated straight from the
// simdjson document the scan leaves (GeminiAdapter::BuildPassthrough). A 1 MiB
// roleplay history is validated and copied instead of being parsed into a tree
// and written back.
//
// The scan only says yes to a body it can pass on exactly: valid JSON, an
// object with unique top-level keys (`model` and the keys before it written
// without escapes: the text is only walked that far), a non-empty string
// `model`, an array `messages`, a boolean or null `stream`, and no
// `stream_options` (a streamed request adds its own). Anything else goes the
// tree way (ParseChatBody), which also words the errors.
//
// Two passes decide it. The quick one (QuickScanChatBody) reads the body once
// without a document, as QuickScanOpenAiAnswer reads an answer, and decides
// the usual body: 0.24 us for a 508-byte SillyTavern-sized body where
// simdjson's document and the walk after it take 0.51 us, 92 us for 1 MiB
// where they take 226 us (tests/bench/body_scan). What it leaves undecided
// (see QuickScanChatBody) goes to simdjson (DocumentScanChatBody), which has
// the last word. Only the document pass leaves a document for a tree or the
// Gemini translator to take; after the quick pass they parse the body
// themselves (2.5k instructions more for a proxied Gemini request, where an
// OpenAI-compatible one saves 2.1k). So the chat handler asks for the quick
// pass only when some model can pass the text on as it is
// (Snapshot::passes_text_through).

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
  // (0: none, as after the quick pass): ParseJson(text, tree, kept_use)
  // builds the tree from it instead of parsing the body again, if nothing has
  // parsed since.
  uint64_t kept_use = 0;
};

// True when `text` is such a body; fills `scan`. `quick_first`: the quick
// pass first (the caller may well pass the text on); false: simdjson's
// document at once (the caller will read the document: after the quick pass it
// would parse the body again).
bool ScanChatBody(std::string_view text, ChatBodyScan& scan, bool quick_first = true);

// ScanChatBody's first pass: true, and `scan` filled, for such a body that it
// decides; false, `scan` untouched, for any other body and for one it leaves
// to simdjson: over 8 MiB, nesting deeper than 64, more than 32 top-level
// keys, a top-level key or the model written with an escape, a number that
// might be beyond what simdjson reads (an integer of over 18 digits, a value
// of over 300 digits before the point, its exponent counted), and a body of
// much UTF-8 (Cyrillic or CJK text, dense curly quotes), which simdjson
// checks the faster: judged before the pass from the whole body up to 16 KiB,
// else from eight 512-byte samples, and bounded within it (chat_scan.cc).
// What it accepts, DocumentScanChatBody accepts with the same scan (but
// kept_use).
bool QuickScanChatBody(std::string_view text, ChatBodyScan& scan);

// ScanChatBody's second pass: simdjson's document, then a walk of the text as
// far as `model`. Leaves the document for kept_use.
bool DocumentScanChatBody(std::string_view text, ChatBodyScan& scan);

// The body with its `model` value replaced by `model` and, when
// `add_stream_usage`, "stream_options":{"include_usage":true} added.
std::string RewriteChatBody(std::string_view text, const ChatBodyScan& scan, std::string_view model,
                            bool add_stream_usage);

}  // namespace switchboard::providers
