// Fuzz target: an upstream's response head, as reads deliver it, through
// ResponseHeadParser (our reader, with Beast's parser behind it) and through
// Beast's own response_parser.
//
// Input: a limit byte (the header limit: 256, 1 KiB or 8 KiB), a split byte
// (how the rest is cut into reads, fuzz_util.h), then the bytes.
//
// What must hold: both, fed read by read as the upstream client feeds them
// (what a put leaves is offered again with the next read; at the end, put_eof
// when it got some), end with the same error, and, for a head that was read,
// the same bytes taken, status, keep-alive, framing, and value for every field
// name Beast saw (first match, case-insensitive) and for a few it did not.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/http.hpp>

#include "dataplane/upstream/response_head.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

namespace http = boost::beast::http;
using switchboard::fuzz::Fail;

struct Outcome {
  boost::system::error_code error;
  size_t taken = 0;
  bool header_done = false;
  int status = 0;
  bool keep_alive = false;
  bool chunked = false;
  bool upgrade = false;
  std::optional<uint64_t> content_length;
  bool done = false;
};

template <class Parser>
Outcome Feed(Parser& parser, std::string_view wire, uint8_t split) {
  Outcome out;
  size_t offered = 0;
  for (std::string_view piece : switchboard::fuzz::Chunks(wire, split)) {
    offered += piece.size();
    boost::system::error_code ec;
    const size_t used = parser.put(boost::asio::buffer(wire.data() + out.taken, offered - out.taken), ec);
    if (used > offered - out.taken) Fail("the parser took more than it was given");
    out.taken += used;
    out.error = ec;
    if (ec != http::error::need_more) break;
  }
  if (out.error == http::error::need_more || wire.empty()) {
    boost::system::error_code ec;
    if (parser.got_some()) {
      parser.put_eof(ec);
    } else {
      ec = http::error::end_of_stream;
    }
    out.error = ec;
  }
  out.header_done = parser.is_header_done();
  if (out.header_done) {
    out.keep_alive = parser.keep_alive();
    out.chunked = parser.chunked();
    out.upgrade = parser.upgrade();
    if (auto length = parser.content_length()) out.content_length = *length;
    out.done = parser.is_done();
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  switchboard::fuzz::Input input(switchboard::fuzz::AsText(data, size));
  static constexpr uint32_t kLimits[] = {256, 1024, 8192};
  const uint32_t limit = kLimits[input.Byte() % 3];
  const uint8_t split = input.Byte();
  const std::string_view wire = input.Rest();

  switchboard::upstream::ResponseHeadParser ours;
  ours.header_limit(limit);
  http::response_parser<http::empty_body> beast;
  beast.header_limit(limit);
  beast.eager(false);
  beast.body_limit(boost::none);

  Outcome a = Feed(ours, wire, split);
  Outcome b = Feed(beast, wire, split);
  if (a.error != b.error) Fail("another error than Beast's: " + a.error.message() + " / " + b.error.message());
  // (After an error the client drops the connection, bytes and all.)
  if (!a.error && a.taken != b.taken) Fail("other bytes taken than Beast's");
  if (a.header_done != b.header_done) Fail("the head done where Beast's is not, or not where it is");
  if (!a.header_done) return 0;
  if (ours.status() != static_cast<int>(beast.get().result_int())) Fail("another status than Beast's");
  if (a.keep_alive != b.keep_alive || a.chunked != b.chunked || a.upgrade != b.upgrade ||
      a.content_length != b.content_length || a.done != b.done) {
    Fail("other framing or keep-alive than Beast's");
  }
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
