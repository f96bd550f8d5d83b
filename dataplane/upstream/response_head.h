#pragma once
// The head of an upstream's response: status, framing, keep-alive and fields.
//
// Beast's parser has the last word on all of it, but reads a head a byte at a
// time, about 12 instructions a byte: a hosted API's head (twenty fields or so
// of rate-limit counters, request ids and cookies, about 1.1 KiB) cost 20,000
// instructions, a third of a proxied request's own work. So a head is first
// read by a strict one-pass reader of our own (ReadHead, in response_head.cc):
// it checks every line against the grammar Beast applies (a subset of it:
// anything unusual is left to Beast), keeps the fields, and gives Beast a
// head of only the status line and the fields Beast acts on (Content-Length,
// Transfer-Encoding, Connection, Proxy-Connection, Upgrade: framing and
// keep-alive), which Beast parses as it would have parsed the whole head.
// Until a head is whole, the reader takes nothing and only checks that what
// came is what it takes (so that Beast, given it, would have wanted more too).
// A head the reader does not vouch for goes to Beast from its first byte, as
// before.
//
// Fields are kept in one text with their places (Beast's response_parser
// allocated an element for each and indexed it in a tree); the data plane
// reads two of them (Content-Type, Retry-After).
//
// Used like Beast's parser: put() the bytes until the head is done (never
// eager: no body byte is taken), then read status() and field(). The body is
// the caller's to decode (body_decoder.h), by chunked(), content_length() and
// is_done().

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/optional/optional.hpp>

#include "absl/container/inlined_vector.h"

namespace switchboard::upstream {

class ResponseHeadParser {
 public:
  using error_code = boost::system::error_code;

  ResponseHeadParser() { beast_.emplace(); }
  ResponseHeadParser(const ResponseHeadParser&) = delete;
  ResponseHeadParser& operator=(const ResponseHeadParser&) = delete;

  void header_limit(uint32_t bytes) {
    limit_ = bytes;
    beast_->header_limit(bytes);
  }

  // As Beast's basic_parser::put (not eager): bytes used, or need_more.
  size_t put(boost::asio::const_buffer bytes, error_code& ec);
  void put_eof(error_code& ec);

  bool got_some() const { return !offers_.empty() || beast_->got_some(); }
  bool is_header_done() const { return beast_->is_header_done(); }
  bool is_done() const { return beast_->is_done(); }
  bool keep_alive() const { return beast_->keep_alive(); }
  bool chunked() const { return beast_->chunked(); }
  bool upgrade() const { return beast_->upgrade(); }
  boost::optional<std::uint64_t> content_length() const { return beast_->content_length(); }

  // The status code (0 until the status line was read).
  int status() const { return beast_->status(); }
  // The value of the first field named `name` (case-insensitive), or empty.
  std::string_view field(std::string_view name) const { return beast_->field(name); }

  // The head was read by our own reader (Beast read only its status line and
  // framing fields).
  bool read_by_own_reader() const { return own_read_; }

 private:
  // Beast's parser, keeping the fields it reads as ours.
  class Beast final : public boost::beast::http::basic_parser<false> {
   public:
    Beast() {
      eager(false);
      // Beast refuses a Content-Length past its limit (8 MiB for a response)
      // with the head; the caller bounds the body it decodes.
      body_limit(boost::none);
    }
    int status() const { return status_; }
    std::string_view field(std::string_view name) const;
    // A field Beast read: its name and value copied to the text.
    void AddField(std::string_view name, std::string_view value);
    // A field our reader read: its place in the head, which KeepHead copies
    // to the text (before Beast adds any).
    void AddFieldAt(uint32_t name_at, uint32_t name_size, uint32_t value_at, uint32_t value_size) {
      fields_.push_back(Field{name_at, name_size, value_at, value_size});
    }
    void KeepHead(std::string_view head) { text_.assign(head); }

   private:
    using string_view = boost::core::string_view;

    struct Field {
      uint32_t name_at, name_size, value_at, value_size;
    };

    std::string_view View(uint32_t at, uint32_t size) const { return std::string_view(text_).substr(at, size); }

    void on_request_impl(boost::beast::http::verb, string_view, string_view, int, error_code& ec) override;
    void on_response_impl(int code, string_view, int, error_code&) override { status_ = code; }
    void on_field_impl(boost::beast::http::field, string_view name, string_view value, error_code&) override {
      AddField(std::string_view(name.data(), name.size()), std::string_view(value.data(), value.size()));
    }
    void on_header_impl(error_code&) override {}
    void on_body_init_impl(const boost::optional<std::uint64_t>&, error_code&) override {}
    std::size_t on_body_impl(string_view body, error_code&) override { return body.size(); }
    void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
    std::size_t on_chunk_body_impl(std::uint64_t, string_view body, error_code&) override { return body.size(); }
    void on_finish_impl(error_code&) override {}

    int status_ = 0;
    std::string text_;
    // Room for a small head's fields in place (a parser lives as long as its
    // call, and 10,000 streams may be held); a hosted API's spill to the heap.
    absl::InlinedVector<Field, 8> fields_;
  };

  enum class Reading {
    kWhole,     // read: its fields kept, its status line and framing fields in framing_
    kNeedMore,  // the start of a head, all of it what this reader takes
    kBeast,     // not what this reader vouches for (or past half the limit): Beast's
  };
  // The head at the start of `bytes` (the same bytes as the offer before, and
  // more), read on from where the last offer's complete lines ended; `size`
  // is set when it is whole.
  Reading ReadHead(std::string_view bytes, size_t& size);

  // Whether Beast refuses the framing fields read so far (of a head not yet
  // whole).
  bool FramingRefused() const;
  // Given all the bytes as they came, from the first: the head's error where
  // it has one, or where this reader leaves it.
  size_t BeastReads(std::string_view bytes, error_code& ec);

  std::optional<Beast> beast_;  // a new one when Beast must read all of the head after all
  uint32_t limit_ = 8192;  // Beast's default
  bool beast_fed_ = false;  // Beast reads from here on (a head it reads from its first byte)
  bool own_read_ = false;
  // The sizes of the offers this reader took nothing of (the start of a head
  // that came in parts), to give them to Beast as they came if it must read.
  absl::InlinedVector<size_t, 4> offers_;
  // ReadHead's place: the bytes of the complete lines read, whether the
  // first was the status line, and the head for Beast so far.
  size_t read_ = 0;
  bool status_read_ = false;
  std::string framing_;
};

}  // namespace switchboard::upstream
