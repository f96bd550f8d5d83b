#pragma once
// The simdjson parser the providers library parses with (internal to it: the
// library links simdjson privately).

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <optional>

#include <nlohmann/json.hpp>

namespace switchboard::providers {

// A parser keeps buffers sized for the largest document it has seen (about
// 15 bytes per byte of JSON): each thread keeps one for the usual sizes (up to
// 2 MiB); a larger document gets its own, in `own`, freed with it. The result
// of a parse lives until the parser's next parse.
simdjson::dom::parser& ThreadParser(size_t size, std::optional<simdjson::dom::parser>& own);

// Every time ThreadParser hands out the thread's kept parser counts as a use,
// numbered from 1. The document of use N (in KeptParser().doc) is still there
// while KeptParserUse() is N: a caller that suspends in between (another
// request's parse may run) finds a later number and parses again.
uint64_t KeptParserUse();
simdjson::dom::parser& KeptParser();

// The nlohmann value of a simdjson element: what nlohmann's own parser makes
// of the same text (ParseJson builds its trees with it).
nlohmann::json ToJson(simdjson::dom::element element);

}  // namespace switchboard::providers
