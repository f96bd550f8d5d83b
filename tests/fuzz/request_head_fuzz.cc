// Fuzz target: a client's request, as reads deliver it, through the server's
// RequestParser (our head reader, with Beast's parser behind it and framing
// the body) and through Beast's own request_parser with a string body.
//
// Input: a limits byte (the header limit: 256, 1 KiB or 8 KiB; the body
// limit: 64 bytes or 64 KiB), a split byte (how the rest is cut into reads,
// fuzz_util.h), then the bytes.
//
// What must hold: both, fed read by read as the server feeds them
// (tests/dataplane/core/head_reading.h), end with the same error, and, for a
// request that was read, the same bytes taken, keep-alive and framing, and,
// once the head is done, the same method, target and version, value for
// every field name Beast saw (first match, case-insensitive) and for a few it
// did not, and body.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/http.hpp>

#include "dataplane/server/request_parser.h"
#include "tests/dataplane/core/head_reading.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

namespace http = boost::beast::http;
using switchboard::fuzz::Fail;
using switchboard::head_test::HeadReading;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  switchboard::fuzz::Input input(switchboard::fuzz::AsText(data, size));
  static constexpr uint32_t kHeadLimits[] = {256, 1024, 8192};
  const uint8_t limits = input.Byte();
  const uint32_t head_limit = kHeadLimits[limits % 3];
  const uint64_t body_limit = (limits / 3) % 2 == 0 ? 64 : 64 * 1024;
  const uint8_t split = input.Byte();
  const std::string_view wire = input.Rest();
  const std::vector<size_t> ends = switchboard::fuzz::ChunkEnds(wire, split);

  switchboard::server::RequestParser ours;
  ours.header_limit(head_limit);
  ours.body_limit(body_limit);
  ours.eager(true);
  http::request_parser<http::string_body> beast;
  beast.header_limit(head_limit);
  beast.body_limit(body_limit);
  beast.eager(true);

  HeadReading a = switchboard::head_test::FeedHead(ours, wire, ends, true);
  HeadReading b = switchboard::head_test::FeedHead(beast, wire, ends, true);
  if (a.error != b.error) Fail("another error than Beast's: " + a.error.message() + " / " + b.error.message());
  if (!(a == b)) Fail("other bytes taken, framing or keep-alive than Beast's");
  if (!a.header_done) return 0;
  const auto& m = beast.get();
  if (ours.method() != m.method() || ours.method_string() != std::string_view(m.method_string()) ||
      ours.target() != std::string_view(m.target()) || ours.version() != static_cast<int>(m.version())) {
    Fail("another request line than Beast's");
  }
  std::vector<std::string> names;
  for (const auto& field : m) names.emplace_back(field.name_string());
  for (std::string_view other : {"Origin", "Authorization", "X-API-Key", "Expect", "x-absent", ""}) {
    names.emplace_back(other);
  }
  for (const auto& name : names) {
    auto it = m.find(name);
    const std::string_view expected = it == m.end() ? std::string_view() : std::string_view(it->value());
    if (ours.field(name) != expected) Fail("another value than Beast's for a field");
  }
  if (a.done && ours.body() != m.body()) Fail("another body than Beast's");
  return 0;
}
