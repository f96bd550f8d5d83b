#pragma once
// Running `buf curl` (github.com/bufbuild/buf; installed by
// tests/integration/tools/install.sh) against a gRPC server with reflection,
// and turning the README's grpcurl commands into the same calls made with
// buf curl. Pure helpers plus one blocking runner; thread-safe.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::testing {

struct BufCurlResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs `<buf_binary> curl <args>`. exit_code -1 with a message in `output`
// when buf is not installed or does not finish within `timeout` (it is
// killed then).
BufCurlResult RunBufCurl(const std::string& buf_binary, const std::vector<std::string>& args,
                         std::chrono::milliseconds timeout);

// The words of one shell command line, as sh splits a simple command:
// blanks separate words, '...' quotes literally, "..." quotes with \" \\ \$
// escapes, a backslash outside quotes escapes the next character and
// backslash-newline continues the line. No expansion of any kind. nullopt
// for an unterminated quote.
std::optional<std::vector<std::string>> ShellWords(std::string_view command);

// A grpcurl command (its words, "grpcurl" first) as buf curl arguments:
//   grpcurl -plaintext [-H H]... [-d D] ADDR list           -> --list-services http://ADDR
//   grpcurl -plaintext [-H H]... [-d D] ADDR list SVC       -> --list-methods http://ADDR/SVC
//   grpcurl -plaintext [-H H]... [-d D] ADDR SVC/METHOD     -> [-H H]... [-d D] http://ADDR/SVC/METHOD
// each with `--protocol grpc --http2-prior-knowledge`, and ADDR replaced by
// `address` (the README's default port becomes the test's ephemeral one).
// nullopt with `error` set for anything else.
std::optional<std::vector<std::string>> GrpcurlToBufCurl(const std::vector<std::string>& grpcurl,
                                                        const std::string& address, std::string* error);

}  // namespace switchboard::testing
