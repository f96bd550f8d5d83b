#pragma once
// What a parser made of a message, fed as the data plane feeds its buffer.
// Shared by the tests that compare our head parsers with Beast's
// (response_head_test.cc, request_parser_test.cc) and by the fuzz targets that
// do the same (tests/fuzz/response_head_fuzz.cc, request_head_fuzz.cc); no
// GoogleTest in here.

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/system/error_code.hpp>

#include "tests/common/random_edit.h"

namespace switchboard::head_test {

struct HeadReading {
  boost::system::error_code error;
  // Bytes taken (compared only when there was no error: after one the
  // connection is dropped, bytes and all, and Beast's count depends on how
  // far it had read when the error came).
  size_t consumed = 0;
  bool header_done = false;
  bool keep_alive = false;
  bool chunked = false;
  bool upgrade = false;
  std::optional<uint64_t> content_length;
  bool done = false;
  // Filled by the caller once the head is done: the start line as read
  // ("200", "POST /v1 11"), the values of the names asked for, the body.
  std::string start;
  std::vector<std::string> values;
  std::string body;

  bool operator==(const HeadReading& o) const {
    return error == o.error && (error || consumed == o.consumed) && header_done == o.header_done &&
           keep_alive == o.keep_alive && chunked == o.chunked && upgrade == o.upgrade &&
           content_length == o.content_length && done == o.done && start == o.start && values == o.values &&
           body == o.body;
  }
};

inline std::ostream& operator<<(std::ostream& out, const HeadReading& r) {
  out << "{error " << r.error.message() << ", consumed " << r.consumed << ", header done " << r.header_done
      << ", start [" << r.start << "], keep-alive " << r.keep_alive << ", chunked " << r.chunked << ", upgrade "
      << r.upgrade << ", done " << r.done << ", values";
  for (const auto& v : r.values) out << " [" << v << "]";
  return out << ", body of " << r.body.size() << "}";
}

// The ends of the reads that deliver `size` bytes in pieces of `step` (0: at
// once).
inline std::vector<size_t> StepEnds(size_t size, size_t step) {
  std::vector<size_t> ends;
  if (step == 0 || size == 0) return {size};
  for (size_t end = step; end < size; end += step) ends.push_back(end);
  ends.push_back(size);
  return ends;
}

// One to three random edits of a head (tests/common/random_edit.h).
using test_util::EditRandomly;

// Feeds `wire` to `parser`, the reads ending at `ends`, as the data plane
// does: each read, the bytes not yet taken are put until the parser wants
// more; at the end of the bytes, put_eof when it got some (end_of_stream
// when it got none). `until_done`: on into the body, as the server reads a
// request (its parser eager); otherwise up to the end of the head, as the
// upstream client reads a response (the body is its decoder's).
template <class Parser>
HeadReading FeedHead(Parser& parser, std::string_view wire, const std::vector<size_t>& ends, bool until_done) {
  namespace http = boost::beast::http;
  HeadReading r;
  auto finished = [&] { return until_done ? parser.is_done() : parser.is_header_done(); };
  bool ended = false;
  for (size_t offered : ends) {
    while (r.consumed < offered && !finished()) {
      boost::system::error_code ec;
      const size_t used = parser.put(boost::asio::buffer(wire.data() + r.consumed, offered - r.consumed), ec);
      r.consumed += used;
      if (ec == http::error::need_more) break;
      if (ec) {
        r.error = ec;
        ended = true;
        break;
      }
      if (used == 0) break;
    }
    if (ended || finished()) {
      ended = true;
      break;
    }
  }
  if (!ended) {
    boost::system::error_code ec;
    if (parser.got_some()) {
      parser.put_eof(ec);
    } else {
      ec = http::error::end_of_stream;
    }
    r.error = ec;
  }
  r.header_done = parser.is_header_done();
  if (r.header_done) {
    r.keep_alive = parser.keep_alive();
    r.chunked = parser.chunked();
    r.upgrade = parser.upgrade();
    if (auto length = parser.content_length()) r.content_length = *length;
    r.done = parser.is_done();
  }
  return r;
}

}  // namespace switchboard::head_test
