#pragma once
// The head of an upstream's response: status, framing, keep-alive and fields,
// read by our own reader with Beast's parser behind it (head_parser.h). A
// hosted API's head (twenty fields or so of rate-limit counters, request ids
// and cookies, about 1.1 KiB) cost 20,000 instructions with Beast's parser
// alone, a third of a proxied request's own work.
//
// Used like Beast's parser: put() the bytes until the head is done (never
// eager: no body byte is taken), then read status() and field(). The data
// plane reads two fields (Content-Type, Retry-After). The body is the caller's
// to decode (body_decoder.h), by chunked(), content_length() and is_done().

#include <cstdint>
#include <string_view>

#include <boost/beast/http/basic_parser.hpp>

#include "dataplane/upstream/head_parser.h"

namespace switchboard::upstream {

// Beast's response parser, keeping the fields it reads as ours.
class ResponseBeast final : public boost::beast::http::basic_parser<false> {
 public:
  using error_code = boost::system::error_code;

  int status() const { return status_; }
  KeptFields& fields() { return fields_; }
  const KeptFields& fields() const { return fields_; }

 private:
  using string_view = boost::core::string_view;

  void on_request_impl(boost::beast::http::verb, string_view, string_view, int, error_code& ec) override;
  void on_response_impl(int code, string_view, int, error_code&) override { status_ = code; }
  void on_field_impl(boost::beast::http::field, string_view name, string_view value, error_code&) override {
    fields_.Add(std::string_view(name.data(), name.size()), std::string_view(value.data(), value.size()));
  }
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>&, error_code&) override {}
  std::size_t on_body_impl(string_view body, error_code&) override { return body.size(); }
  void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, string_view body, error_code&) override { return body.size(); }
  void on_finish_impl(error_code&) override {}

  int status_ = 0;
  KeptFields fields_;
};

class ResponseHeadParser : public HeadParser<ResponseBeast> {
 public:
  // The status code (0 until the status line was read).
  int status() const { return beast().status(); }
};

}  // namespace switchboard::upstream
