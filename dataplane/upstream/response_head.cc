#include "dataplane/upstream/response_head.h"

#include <boost/beast/http/error.hpp>

namespace switchboard::upstream {

void ResponseBeast::on_request_impl(boost::beast::http::verb, string_view, string_view, int, error_code& ec) {
  ec = boost::beast::http::error::bad_method;  // a response parser is never given a request line
}

}  // namespace switchboard::upstream
