#pragma once
// An HTTP/1 message head read by a one-pass reader of our own, with Beast's
// parser deciding what it decides: the start line's meaning, framing,
// keep-alive and, for a request, the body.
//
// Beast 1.81's parser reads a head a byte at a time (about 12 instructions a
// byte; its SIMD search is compiled out) and allocates and indexes every field.
// A hosted API's response head (twenty fields, 1.1 KiB) cost a proxied request
// 20,000 instructions; a browser's request head (JanitorAI's, eighteen
// fields) about 16,000. So a head is first read by HeadLines: it checks every
// line against the grammar Beast applies (a strict subset of it: anything
// unusual is left to Beast), keeps the fields, and gives Beast a head of only
// the start line and the fields Beast acts on (Content-Length,
// Transfer-Encoding, Connection, Proxy-Connection, Upgrade), which Beast parses
// as it would have parsed the whole head. Until a head is whole, the reader
// takes nothing and only checks that what came is what it takes (so that
// Beast, given it, would have wanted more too). A head the reader does not
// vouch for goes to Beast from its first byte, offer by offer as the bytes
// came, so that it ends exactly as it would have, error and all.
//
// HeadParser<BeastParser> is used like Beast's parser: put() the bytes (what a
// put leaves is offered again with more), put_eof() at the end of the stream.
// BeastParser is a basic_parser<isRequest> whose fields go to a KeptFields
// (fields()): ResponseHeadParser (response_head.h) and the server's request
// parser (dataplane/server/request_parser.h).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/optional/optional.hpp>

#include "absl/container/inlined_vector.h"

namespace switchboard::upstream {

// A head's fields, kept in one text with their places (Beast's own parsers
// allocate an element for each and index it in a tree). The first field of a
// name is the one found.
class KeptFields {
 public:
  // The head our reader read, whose places AddAt gives (before any Add).
  void KeepHead(std::string_view head) { text_.assign(head); }
  void AddAt(uint32_t name_at, uint32_t name_size, uint32_t value_at, uint32_t value_size) {
    fields_.push_back(Field{name_at, name_size, value_at, value_size});
  }
  // A field Beast read: copied to the text.
  void Add(std::string_view name, std::string_view value);
  // Other text to keep (a request's method and target): its place.
  uint32_t Append(std::string_view text);
  std::string_view View(uint32_t at, uint32_t size) const { return std::string_view(text_).substr(at, size); }

  // The value of the first field named `name` (case-insensitive), or empty.
  std::string_view Find(std::string_view name) const;
  size_t size() const { return fields_.size(); }

 private:
  struct Field {
    uint32_t name_at, name_size, value_at, value_size;
  };
  std::string text_;
  // Room for a small head's fields in place (a parser lives as long as its
  // request or call, and 10,000 streams may be held); larger heads spill.
  absl::InlinedVector<Field, 8> fields_;
};

// Our one-pass reader of a head (head_parser.cc).
class HeadLines {
 public:
  enum class Reading {
    kWhole,     // read: its fields kept, its start line and framing fields in framing()
    kNeedMore,  // the start of a head, all of it what this reader takes
    kBeast,     // not what this reader vouches for (or past half the limit): Beast's
  };

  explicit HeadLines(bool request) : request_(request) {}

  // The head at the start of `bytes` (the same bytes as the offer before, and
  // more), read on from where the last offer's complete lines ended; `size` is
  // set when it is whole. The fields' places are relative to `bytes`.
  Reading Read(std::string_view bytes, uint32_t limit, KeptFields& fields, size_t& size);

  // The start line and the framing fields read so far, each with its CRLF;
  // when the head is whole, with the blank line too.
  const std::string& framing() const { return framing_; }
  // Whether framing() holds a field after the start line.
  bool has_framing_field() const { return framing_.size() > start_line_size_; }
  void Release() { std::string().swap(framing_); }

 private:
  const bool request_;
  size_t read_ = 0;  // the bytes of the complete lines read
  bool start_read_ = false;
  size_t start_line_size_ = 0;
  std::string framing_;
};

template <class BeastParser>
class HeadParser {
 public:
  using error_code = boost::system::error_code;

  HeadParser() : lines_(BeastParser::is_request::value) { Configure(beast_.emplace()); }
  HeadParser(const HeadParser&) = delete;
  HeadParser& operator=(const HeadParser&) = delete;

  void header_limit(uint32_t bytes) {
    limit_ = bytes;
    beast_->header_limit(bytes);
  }
  // As Beast's (none by default: a response's body is the caller's to bound).
  void body_limit(boost::optional<std::uint64_t> bytes) {
    body_limit_ = bytes;
    beast_->body_limit(bytes);
  }
  // As Beast's: whether a put() goes on into the body (never the head's).
  void eager(bool v) {
    eager_ = v;
    beast_->eager(v);
  }

  // As Beast's basic_parser::put: bytes used, or need_more.
  size_t put(boost::asio::const_buffer bytes, error_code& ec);
  void put_eof(error_code& ec);

  bool got_some() const { return !offers_.empty() || beast_->got_some(); }
  bool is_header_done() const { return beast_->is_header_done(); }
  bool is_done() const { return beast_->is_done(); }
  bool keep_alive() const { return beast_->keep_alive(); }
  bool chunked() const { return beast_->chunked(); }
  bool upgrade() const { return beast_->upgrade(); }
  boost::optional<std::uint64_t> content_length() const { return beast_->content_length(); }
  boost::optional<std::uint64_t> content_length_remaining() const { return beast_->content_length_remaining(); }

  // The value of the first field named `name` (case-insensitive), or empty.
  std::string_view field(std::string_view name) const { return beast_->fields().Find(name); }

  // The head was read by our own reader (Beast read only its start line and
  // framing fields).
  bool read_by_own_reader() const { return own_read_; }

 protected:
  const BeastParser& beast() const { return *beast_; }
  BeastParser& beast() { return *beast_; }

 private:
  void Configure(BeastParser& beast) const {
    beast.header_limit(limit_);
    beast.body_limit(body_limit_);
    beast.eager(eager_);
  }
  // Whether Beast refuses the framing fields read so far (of a head not yet
  // whole): it acts on each as soon as it has read it.
  bool FramingRefused() const;
  // Given all the bytes as they came, from the first: the head's error where
  // it has one, or where our reader leaves it.
  size_t BeastReads(std::string_view bytes, error_code& ec);

  static constexpr size_t kMostOffers = 16;

  std::optional<BeastParser> beast_;  // a new one when Beast must read all of the head after all
  HeadLines lines_;
  uint32_t limit_ = 8192;  // Beast's default
  boost::optional<std::uint64_t> body_limit_;
  bool eager_ = false;
  bool beast_fed_ = false;  // Beast reads from here on
  bool own_read_ = false;
  // The sizes of the offers this reader took nothing of (the start of a head
  // that came in parts), to give them to Beast as they came if it must read.
  absl::InlinedVector<size_t, 4> offers_;
};

template <class BeastParser>
size_t HeadParser<BeastParser>::put(boost::asio::const_buffer bytes, error_code& ec) {
  namespace http = boost::beast::http;
  if (beast_fed_) return beast_->put(bytes, ec);
  const std::string_view text(static_cast<const char*>(bytes.data()), bytes.size());
  if (text.empty()) {  // as Beast: nothing yet
    ec = http::error::need_more;
    return 0;
  }
  size_t size = 0;
  switch (lines_.Read(text, limit_, beast_->fields(), size)) {
    case HeadLines::Reading::kWhole:
      beast_->fields().KeepHead(text.substr(0, size));
      beast_->put(boost::asio::buffer(lines_.framing()), ec);
      lines_.Release();  // not kept for the message's life
      if (!ec) {
        beast_fed_ = own_read_ = true;
        return size;
      }
      // A framing field Beast refuses (or a Content-Length past the body
      // limit): Beast reads the whole head, to end with its error as it would
      // have.
      break;
    case HeadLines::Reading::kNeedMore:
      // A head that comes in many parts (a slow client's, a byte at a time)
      // is Beast's: each offer is kept to give it to Beast as it came.
      if (offers_.size() == kMostOffers) break;
      if (lines_.has_framing_field() && FramingRefused()) break;
      // Nothing taken: the caller offers these bytes again with more.
      offers_.push_back(text.size());
      ec = http::error::need_more;
      return 0;
    case HeadLines::Reading::kBeast:
      break;
  }
  return BeastReads(text, ec);
}

template <class BeastParser>
bool HeadParser<BeastParser>::FramingRefused() const {
  // The framing fields so far as a whole head, to a parser with no body limit:
  // Beast checks a Content-Length against the limit only once the head is
  // whole, which this one is not yet.
  BeastParser beast;
  beast.header_limit(limit_);
  beast.body_limit(boost::none);
  beast.eager(false);
  const std::string head = lines_.framing() + "\r\n";
  error_code ec;
  beast.put(boost::asio::buffer(head), ec);
  return ec && ec != boost::beast::http::error::need_more;
}

template <class BeastParser>
size_t HeadParser<BeastParser>::BeastReads(std::string_view bytes, error_code& ec) {
  Configure(beast_.emplace());  // without the fields our reader kept
  lines_.Release();
  beast_fed_ = true;
  // The bytes as they came, offer by offer (after its first need_more Beast
  // waits for a whole head before reading on), so that it ends as it would
  // have, with the same error where there is one.
  offers_.push_back(bytes.size());
  size_t taken = 0;
  for (size_t offered : offers_) {
    taken += beast_->put(boost::asio::buffer(bytes.data() + taken, offered - taken), ec);
    if (ec != boost::beast::http::error::need_more) break;
  }
  return taken;
}

template <class BeastParser>
void HeadParser<BeastParser>::put_eof(error_code& ec) {
  if (beast_fed_) {
    beast_->put_eof(ec);
    return;
  }
  // Only the start of a head came, all of it what Beast takes (it would be
  // reading the start line or the fields): Beast ends it so.
  ec = offers_.empty() ? boost::beast::http::error::end_of_stream : boost::beast::http::error::partial_message;
}

}  // namespace switchboard::upstream
