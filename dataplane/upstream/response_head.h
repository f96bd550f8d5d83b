#pragma once
// The head of an upstream's response, parsed by Beast's parser (the grammar,
// the limits, what frames the body, keep-alive) with its fields kept our way:
// one text holding every name and value, and their places in it. Beast's
// response_parser keeps them in its field list, which allocates an element per
// field and indexes each in a tree; a hosted API answers with twenty fields or
// so (rate-limit counters, cookies, request ids), of which the data plane reads
// two (Content-Type and Retry-After).
//
// Used like Beast's parser: put() the bytes until the head is done (eager is
// off, so no body byte is taken), then read status() and field(). The body is
// not this parser's: the caller decodes it (body_decoder.h) by chunked(),
// content_length() and is_done(); its callbacks take body bytes only to
// ignore them.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>

#include "absl/container/inlined_vector.h"
#include "dataplane/upstream/http_head.h"

namespace switchboard::upstream {

class ResponseHeadParser final : public boost::beast::http::basic_parser<false> {
 public:
  ResponseHeadParser() { eager(false); }

  // The status code (0 until the status line was read).
  int status() const { return status_; }
  // The value of the first field named `name` (case-insensitive), or empty.
  std::string_view field(std::string_view name) const {
    for (const Field& f : fields_) {
      if (SameFieldName(View(f.name_at, f.name_size), name)) return View(f.value_at, f.value_size);
    }
    return {};
  }

 private:
  using string_view = boost::core::string_view;
  using error_code = boost::system::error_code;

  struct Field {
    uint32_t name_at, name_size, value_at, value_size;
  };

  std::string_view View(uint32_t at, uint32_t size) const { return std::string_view(text_).substr(at, size); }

  void on_request_impl(boost::beast::http::verb, string_view, string_view, int, error_code& ec) override {
    ec = boost::beast::http::error::bad_method;  // a response parser is never given a request line
  }
  void on_response_impl(int code, string_view, int, error_code&) override { status_ = code; }
  void on_field_impl(boost::beast::http::field, string_view name, string_view value, error_code&) override {
    // The header limit (Beast's, 8 KiB by default) bounds the text.
    if (text_.empty()) text_.reserve(1024);
    Field f{static_cast<uint32_t>(text_.size()), static_cast<uint32_t>(name.size()), 0,
            static_cast<uint32_t>(value.size())};
    text_.append(name.data(), name.size());
    f.value_at = static_cast<uint32_t>(text_.size());
    text_.append(value.data(), value.size());
    fields_.push_back(f);
  }
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>&, error_code&) override {}
  std::size_t on_body_impl(string_view body, error_code&) override { return body.size(); }
  void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, string_view body, error_code&) override { return body.size(); }
  void on_finish_impl(error_code&) override {}

  int status_ = 0;
  std::string text_;
  // Inline room for a hosted API's head; more spill to the heap.
  absl::InlinedVector<Field, 32> fields_;
};

}  // namespace switchboard::upstream
