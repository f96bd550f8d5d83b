#pragma once
// The simdjson parser the providers library parses with (internal to it: the
// library links simdjson privately).

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

namespace switchboard::providers {

// `text`'s document, in `root`: false when simdjson refuses the text. A
// parser keeps buffers sized for the largest document it has seen (about 15
// bytes per byte of JSON): each thread keeps one for the usual sizes (up to
// 2 MiB); a larger document gets its own, in `own`, freed with it. The
// document lives until its parser's next parse.
//
// Every parse in the thread's kept parser counts as a use, numbered from 1
// (KeptParserUse() right after the parse, when `own` stayed empty). With
// `kept_use` N, the document of use N is taken instead of parsing `text` again
// while it is still there, i.e. while KeptParserUse() is N: a caller that
// suspended in between (another request's parse may have run) finds a later
// number, and `text` is parsed again.
bool ReadDocument(std::string_view text, uint64_t kept_use, std::optional<simdjson::dom::parser>& own,
                  simdjson::dom::element& root);
uint64_t KeptParserUse();

// The nlohmann value of a simdjson element: what nlohmann's own parser makes
// of the same text (ParseJson builds its trees with it).
nlohmann::json ToJson(simdjson::dom::element element);

}  // namespace switchboard::providers
