#pragma once
// A client's request as the server reads it: method, target, keep-alive,
// fields and body. The head is read by our own reader with Beast's parser
// behind it (upstream/head_parser.h): a browser's request (JanitorAI's in
// Chrome, eighteen fields) cost 16,000 instructions in Beast's parser
// alone, a quarter of a proxied request. The body is Beast's to frame
// (Content-Length or chunked, against the body limit) and is appended to one
// string as it comes.
//
// Used like Beast's request_parser: put() what has arrived (eager: as much of
// the body as is there) until is_done(), put_eof() at the end of the stream.

#include <cstdint>
#include <string>
#include <string_view>

#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/verb.hpp>

#include "dataplane/upstream/head_parser.h"

namespace switchboard::server {

// Beast's request parser, keeping the fields it reads as ours and the body
// in one string. (Beast's string_body zeroes every new byte before copying
// into it: for a conversation of a megabyte, a megabyte of memset.)
class RequestBeast final : public boost::beast::http::basic_parser<true> {
 public:
  using error_code = boost::system::error_code;

  upstream::KeptFields& fields() { return fields_; }
  const upstream::KeptFields& fields() const { return fields_; }
  boost::beast::http::verb method() const { return method_; }
  std::string_view method_string() const { return fields_.View(method_at_, method_size_); }
  std::string_view target() const { return fields_.View(target_at_, target_size_); }
  int version() const { return version_; }
  const std::string& body() const { return body_; }

 private:
  using string_view = boost::core::string_view;

  void on_request_impl(boost::beast::http::verb method, string_view method_string, string_view target, int version,
                       error_code& ec) override;
  void on_response_impl(int, string_view, int, error_code& ec) override;
  void on_field_impl(boost::beast::http::field, string_view name, string_view value, error_code&) override {
    fields_.Add(std::string_view(name.data(), name.size()), std::string_view(value.data(), value.size()));
  }
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>& length, error_code& ec) override;
  std::size_t on_body_impl(string_view body, error_code& ec) override;
  void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, string_view body, error_code& ec) override {
    return on_body_impl(body, ec);
  }
  void on_finish_impl(error_code&) override {}

  upstream::KeptFields fields_;
  boost::beast::http::verb method_ = boost::beast::http::verb::unknown;
  uint32_t method_at_ = 0, method_size_ = 0, target_at_ = 0, target_size_ = 0;
  int version_ = 0;
  std::string body_;
};

class RequestParser : public upstream::HeadParser<RequestBeast> {
 public:
  // Valid once is_header_done().
  boost::beast::http::verb method() const { return beast().method(); }
  std::string_view method_string() const { return beast().method_string(); }
  std::string_view target() const { return beast().target(); }
  int version() const { return beast().version(); }
  // Valid once is_done().
  const std::string& body() const { return beast().body(); }
};

}  // namespace switchboard::server
