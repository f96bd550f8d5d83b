#include "tests/integration/harness/buf_curl.h"

#include <unistd.h>

#include "tests/integration/harness/process.h"

namespace switchboard::testing {

BufCurlResult RunBufCurl(const std::string& buf_binary, const std::vector<std::string>& args,
                         std::chrono::milliseconds timeout) {
  BufCurlResult result;
  if (::access(buf_binary.c_str(), X_OK) != 0) {
    result.output = buf_binary + " not found: run tests/integration/tools/install.sh (scripts/setup does)";
    return result;
  }
  std::vector<std::string> full{"curl"};
  full.insert(full.end(), args.begin(), args.end());
  ChildProcess buf(buf_binary, full);
  std::optional<int> exit = buf.WaitExit(timeout);
  if (!exit) {
    buf.Kill();
    buf.WaitExit(std::chrono::seconds(5));
    result.output = "buf curl did not finish in time\n" + buf.LogText();
    return result;
  }
  result.exit_code = *exit;
  result.output = buf.LogText();
  return result;
}

std::optional<std::vector<std::string>> ShellWords(std::string_view command) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (size_t i = 0; i < command.size(); ++i) {
    char c = command[i];
    if (c == '\\' && i + 1 < command.size()) {
      char next = command[++i];
      if (next == '\n') continue;  // line continuation
      word.push_back(next);
      in_word = true;
    } else if (c == '\'') {
      size_t close = command.find('\'', i + 1);
      if (close == std::string_view::npos) return std::nullopt;
      word.append(command.substr(i + 1, close - i - 1));
      i = close;
      in_word = true;
    } else if (c == '"') {
      in_word = true;
      for (++i;; ++i) {
        if (i >= command.size()) return std::nullopt;
        if (command[i] == '"') break;
        if (command[i] == '\\' && i + 1 < command.size() &&
            (command[i + 1] == '"' || command[i + 1] == '\\' || command[i + 1] == '$')) {
          ++i;
        }
        word.push_back(command[i]);
      }
    } else if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else {
      word.push_back(c);
      in_word = true;
    }
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

std::optional<std::vector<std::string>> GrpcurlToBufCurl(const std::vector<std::string>& grpcurl,
                                                        const std::string& address, std::string* error) {
  if (grpcurl.empty() || grpcurl[0] != "grpcurl") {
    *error = "not a grpcurl command";
    return std::nullopt;
  }
  std::vector<std::string> out{"--protocol", "grpc", "--http2-prior-knowledge"};
  std::vector<std::string> positional;
  bool plaintext = false;
  for (size_t i = 1; i < grpcurl.size(); ++i) {
    const std::string& word = grpcurl[i];
    if (word == "-plaintext") {
      plaintext = true;
    } else if ((word == "-H" || word == "-d") && i + 1 < grpcurl.size()) {
      out.push_back(word);
      out.push_back(grpcurl[++i]);
    } else if (!word.empty() && word[0] == '-') {
      *error = "grpcurl flag " + word + " has no buf curl translation here";
      return std::nullopt;
    } else {
      positional.push_back(word);
    }
  }
  if (!plaintext) {
    *error = "only -plaintext commands are translated";
    return std::nullopt;
  }
  std::string base = "http://" + address;
  if (positional.size() == 2 && positional[1] == "list") {
    out.push_back("--list-services");
    out.push_back(base);
  } else if (positional.size() == 3 && positional[1] == "list") {
    out.push_back("--list-methods");
    out.push_back(base + "/" + positional[2]);
  } else if (positional.size() == 2 && positional[1].find('/') != std::string::npos) {
    out.push_back(base + "/" + positional[1]);
  } else {
    *error = "expected ADDRESS list [SERVICE] or ADDRESS SERVICE/METHOD";
    return std::nullopt;
  }
  return out;
}

}  // namespace switchboard::testing
