#include "dataplane/upstream/body_decoder.h"

#include <algorithm>
#include <cstring>

namespace switchboard::upstream {
namespace {

// 15 hex digits: sizes up to 2^60, far beyond any body, without overflow.
constexpr int kMaxSizeDigits = 15;
// Trailer fields are read and dropped; this many bytes of them at most.
constexpr size_t kMaxTrailerBytes = 16 * 1024;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

BodyDecoder::BodyDecoder(Framing framing, uint64_t length) : framing_(framing), remaining_(length) {
  switch (framing) {
    case Framing::kLength: state_ = length == 0 ? State::kDone : State::kData; break;
    case Framing::kChunked: state_ = State::kSize; remaining_ = 0; break;
    case Framing::kUntilClose: state_ = State::kData; break;
  }
}

size_t BodyDecoder::Fail(std::string_view error, size_t consumed) {
  state_ = State::kFailed;
  error_ = error;
  return consumed;
}

size_t BodyDecoder::Decode(std::string_view in, std::string& out) {
  size_t i = 0;
  while (i < in.size()) {
    switch (state_) {
      case State::kData: {
        size_t take = in.size() - i;
        if (framing_ != Framing::kUntilClose) take = static_cast<size_t>(std::min<uint64_t>(take, remaining_));
        out.append(in.data() + i, take);
        i += take;
        if (framing_ == Framing::kUntilClose) break;
        remaining_ -= take;
        if (remaining_ == 0) state_ = framing_ == Framing::kLength ? State::kDone : State::kDataCr;
        break;
      }
      case State::kSize: {
        const char c = in[i];
        const int digit = HexValue(c);
        if (digit >= 0) {
          if (++size_digits_ > kMaxSizeDigits) return Fail("chunk size too large", i);
          remaining_ = remaining_ * 16 + static_cast<uint64_t>(digit);
          ++i;
          break;
        }
        if (size_digits_ == 0) return Fail("chunk size expected", i);
        if (c == ';' || c == ' ' || c == '\t') {
          state_ = State::kExtension;
        } else if (c == '\r') {
          state_ = State::kSizeLf;
        } else {
          return Fail("bad character in chunk size", i);
        }
        ++i;
        break;
      }
      case State::kExtension: {
        const char* cr = static_cast<const char*>(std::memchr(in.data() + i, '\r', in.size() - i));
        if (cr == nullptr) {
          i = in.size();
        } else {
          i = static_cast<size_t>(cr - in.data()) + 1;
          state_ = State::kSizeLf;
        }
        break;
      }
      case State::kSizeLf:
        if (in[i] != '\n') return Fail("chunk size line not ended by CRLF", i);
        ++i;
        size_digits_ = 0;
        state_ = remaining_ == 0 ? State::kTrailer : State::kData;
        break;
      case State::kDataCr:
        if (in[i] != '\r') return Fail("chunk data not followed by CRLF", i);
        ++i;
        state_ = State::kDataLf;
        break;
      case State::kDataLf:
        if (in[i] != '\n') return Fail("chunk data not followed by CRLF", i);
        ++i;
        state_ = State::kSize;
        break;
      case State::kTrailer:
        if (in[i] == '\r') {
          state_ = State::kEndLf;
        } else {
          state_ = State::kTrailerLine;
          ++trailer_bytes_;
        }
        ++i;
        break;
      case State::kTrailerLine: {
        // Trailer fields are rare and dropped: a plain loop, which also
        // refuses a bare LF.
        size_t end = i;
        while (end < in.size() && in[end] != '\r' && in[end] != '\n') ++end;
        trailer_bytes_ += end - i;
        if (trailer_bytes_ > kMaxTrailerBytes) return Fail("trailer fields too large", end);
        i = end;
        if (i < in.size()) {
          if (in[i] == '\n') return Fail("trailer field not ended by CRLF", i);
          ++i;
          state_ = State::kTrailerLf;
        }
        break;
      }
      case State::kTrailerLf:
        if (in[i] != '\n') return Fail("trailer field not ended by CRLF", i);
        ++i;
        state_ = State::kTrailer;
        break;
      case State::kEndLf:
        if (in[i] != '\n') return Fail("chunked body not ended by CRLF", i);
        ++i;
        state_ = State::kDone;
        break;
      case State::kDone:
      case State::kFailed:
        return i;
    }
  }
  return i;
}

}  // namespace switchboard::upstream
