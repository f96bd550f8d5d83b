// Fuzz target: an upstream's response head, as reads deliver it, through
// ResponseHeadParser (our reader, with Beast's parser behind it) and through
// Beast's own response_parser.
//
// Input: a limit byte (the header limit: 256, 1 KiB or 8 KiB), a split byte
// (how the rest is cut into reads, fuzz_util.h), then the bytes.
//
// What must hold: both, fed read by read as the upstream client feeds them
// (tests/dataplane/core/head_reading.h), end with the same error, and, for a
// head that was read, the same bytes taken, status, keep-alive, framing, and
// value for every field name Beast saw (first match, case-insensitive) and
// for a few it did not.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/http.hpp>

#include "dataplane/upstream/response_head.h"
#include "tests/dataplane/core/head_reading.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

namespace http = boost::beast::http;
using switchboard::fuzz::Fail;
using switchboard::head_test::HeadReading;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  switchboard::fuzz::Input input(switchboard::fuzz::AsText(data, size));
  static constexpr uint32_t kLimits[] = {256, 1024, 8192};
  const uint32_t limit = kLimits[input.Byte() % 3];
  const uint8_t split = input.Byte();
  const std::string_view wire = input.Rest();
  const std::vector<size_t> ends = switchboard::fuzz::ChunkEnds(wire, split);

  switchboard::upstream::ResponseHeadParser ours;
  ours.header_limit(limit);
  http::response_parser<http::empty_body> beast;
  beast.header_limit(limit);
  beast.eager(false);
  beast.body_limit(boost::none);

  HeadReading a = switchboard::head_test::FeedHead(ours, wire, ends, false);
  HeadReading b = switchboard::head_test::FeedHead(beast, wire, ends, false);
  if (a.error != b.error) Fail("another error than Beast's: " + a.error.message() + " / " + b.error.message());
  if (!(a == b)) Fail("other bytes taken, framing or keep-alive than Beast's");
  if (!a.header_done) return 0;
  if (ours.status() != static_cast<int>(beast.get().result_int())) Fail("another status than Beast's");
  std::vector<std::string> names;
  for (const auto& field : beast.get()) names.emplace_back(field.name_string());
  for (std::string_view other : {"Content-Type", "Retry-After", "x-absent", ""}) names.emplace_back(other);
  for (const auto& name : names) {
    auto it = beast.get().find(name);
    const std::string_view expected = it == beast.get().end() ? std::string_view() : std::string_view(it->value());
    if (ours.field(name) != expected) Fail("another value than Beast's for a field");
  }
  return 0;
}
