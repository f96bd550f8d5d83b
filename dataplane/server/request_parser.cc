#include "dataplane/server/request_parser.h"

#include <boost/beast/http/error.hpp>

namespace switchboard::server {

void RequestBeast::on_request_impl(boost::beast::http::verb method, string_view method_string, string_view target,
                                   int version, error_code&) {
  method_ = method;
  version_ = version;
  method_size_ = static_cast<uint32_t>(method_string.size());
  method_at_ = fields_.Append(std::string_view(method_string.data(), method_string.size()));
  target_size_ = static_cast<uint32_t>(target.size());
  target_at_ = fields_.Append(std::string_view(target.data(), target.size()));
}

void RequestBeast::on_response_impl(int, string_view, int, error_code& ec) {
  ec = boost::beast::http::error::bad_version;  // a request parser is never given a status line
}

void RequestBeast::on_body_init_impl(const boost::optional<std::uint64_t>& length, error_code& ec) {
  ec = {};
  if (!length) return;
  // The parser checked the length against the body limit with the head.
  if (*length > body_.max_size()) {
    ec = boost::beast::http::error::buffer_overflow;
    return;
  }
  body_.reserve(static_cast<size_t>(*length));
}

std::size_t RequestBeast::on_body_impl(string_view body, error_code& ec) {
  ec = {};
  body_.append(body.data(), body.size());
  return body.size();
}

}  // namespace switchboard::server
