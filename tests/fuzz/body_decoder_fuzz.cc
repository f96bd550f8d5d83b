// Fuzz target: an upstream's body bytes, as reads deliver them, through the
// BodyDecoder the upstream client undoes body framing with.
//
// Input: a mode byte (the framing: chunked, a Content-Length taken from the
// next two bytes, or until close), a split byte (how the rest is cut into
// reads, fuzz_util.h), then the bytes.
//
// What must hold: nothing crashes; fed read by read, the decoder gives the
// same body, consumes the same bytes and ends in the same state as fed at
// once; it never consumes past the end of the body (what it leaves is exactly
// what follows the body); a Content-Length body is never longer than its
// length; once done or failed it takes nothing more.

#include <cstdint>
#include <string>
#include <string_view>

#include "dataplane/upstream/body_decoder.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using switchboard::upstream::BodyDecoder;

struct Outcome {
  std::string body;
  size_t consumed = 0;
  bool done = false;
  bool failed = false;
};

Outcome Run(BodyDecoder decoder, std::string_view wire, uint8_t split) {
  Outcome out;
  for (std::string_view piece : switchboard::fuzz::Chunks(wire, split)) {
    const bool ended = decoder.done() || decoder.failed();
    const size_t used = decoder.Decode(piece, out.body);
    if (ended && used != 0) switchboard::fuzz::Fail("the decoder took bytes after it ended");
    if (used > piece.size()) switchboard::fuzz::Fail("the decoder consumed more than it was given");
    out.consumed += used;
    if (used < piece.size()) {
      if (!decoder.done() && !decoder.failed()) switchboard::fuzz::Fail("bytes left with the body still open");
      break;
    }
  }
  out.done = decoder.done();
  out.failed = decoder.failed();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  switchboard::fuzz::Input input(switchboard::fuzz::AsText(data, size));
  const uint8_t mode = input.Byte() % 3;
  uint64_t length = 0;
  if (mode == 1) length = static_cast<uint64_t>(input.Byte()) << 8 | input.Byte();
  const uint8_t split = input.Byte();
  const std::string_view wire = input.Rest();
  auto make = [&] {
    return mode == 0 ? BodyDecoder::Chunked() : mode == 1 ? BodyDecoder::Length(length) : BodyDecoder::UntilClose();
  };
  const Outcome whole = Run(make(), wire, 0);
  const Outcome pieces = Run(make(), wire, split);
  if (pieces.body != whole.body || pieces.consumed != whole.consumed || pieces.done != whole.done ||
      pieces.failed != whole.failed) {
    switchboard::fuzz::Fail("read by read differs from all at once");
  }
  if (mode == 1) {
    if (whole.body.size() > length) switchboard::fuzz::Fail("a body longer than its Content-Length");
    if (whole.done != (whole.body.size() == length)) switchboard::fuzz::Fail("done is not 'all of the length'");
  }
  if (mode == 2 && (whole.body != wire || whole.done)) switchboard::fuzz::Fail("until close takes every byte, and only EOF ends it");
  return 0;
}
