// Micro-benchmark of the chat body check. For bodies in four kinds of text
// (English; English with curly quotes and dashes, as roleplay text has;
// Russian; Japanese) and four sizes (a SillyTavern-sized 0.5 KiB, 4 KiB,
// 100 KiB, 1 MiB) it prints the microseconds per check of ScanChatBody (the
// quick pass, simdjson's document for what it leaves), of the document pass
// alone (DocumentScanChatBody, what ScanChatBody was before the quick pass),
// and their ratio; and which pass decided.
//
//   body_scan_bench [runs=31] [milliseconds-per-run=10]
//
// Each time is the median over runs of the mean time per check in a run; the
// two are run alternately, and the ratio is the median of each pair's.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dataplane/providers/chat_scan.h"

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;
using switchboard::providers::ChatBodyScan;

// A conversation of about `size` bytes whose messages repeat `line`.
std::string Conversation(const std::string& line, size_t size) {
  json body = {{"messages", json::array()}, {"model", "deepseek/deepseek-chat"}, {"temperature", 0.8},
               {"max_tokens", 300}, {"stream", true}, {"top_p", 1}, {"logit_bias", json::object()}};
  body["messages"].push_back({{"role", "system"}, {"content", "You are Aria, a lighthouse keeper."}});
  for (;;) {
    std::string content;
    const size_t left = size - std::min(size, body.dump().size() + 40);
    while (content.size() + line.size() <= std::min<size_t>(left, 2000)) content += line;
    if (content.empty()) break;
    body["messages"].push_back({{"role", body["messages"].size() % 2 ? "user" : "assistant"}, {"content", content}});
  }
  return body.dump();
}

// The mean microseconds per check of `check` over about `millis`.
template <class Check>
double MicrosPerCheck(const std::string& text, Check check, int millis) {
  size_t n = 0;
  const auto start = Clock::now();
  const auto until = start + std::chrono::milliseconds(millis);
  do {
    for (int i = 0; i < 8; ++i) {
      ChatBodyScan scan;
      if (!check(text, scan)) std::abort();  // every body here is a clean one
      ++n;
    }
  } while (Clock::now() < until);
  return std::chrono::duration<double, std::micro>(Clock::now() - start).count() / static_cast<double>(n);
}

double Median(std::vector<double> values) {
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2), values.end());
  return values[values.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const int runs = argc > 1 ? std::max(1, std::atoi(argv[1])) : 31;
  const int millis = argc > 2 ? std::max(1, std::atoi(argv[2])) : 10;
  struct Kind {
    const char* name;
    std::string line;
  };
  const std::vector<Kind> kinds = {
      {"English", "*waves* The colour of the sea, and the storm goes on outside the window. "},
      {"English, curly quotes",
       "\xe2\x80\x9c" "Come in,\xe2\x80\x9d she said \xe2\x80\x94 the storm goes on outside the window, colder now. "},
      // "Буря не утихает, и маяк светит. "
      {"Russian",
       "\xd0\x91\xd1\x83\xd1\x80\xd1\x8f \xd0\xbd\xd0\xb5 \xd1\x83\xd1\x82\xd0\xb8\xd1\x85\xd0\xb0\xd0\xb5\xd1\x82, "
       "\xd0\xb8 \xd0\xbc\xd0\xb0\xd1\x8f\xd0\xba \xd1\x81\xd0\xb2\xd0\xb5\xd1\x82\xd0\xb8\xd1\x82. "},
      // "嵐はまだ続いている。灯台の光。"
      {"Japanese", "\xe5\xb5\x90\xe3\x81\xaf\xe3\x81\xbe\xe3\x81\xa0\xe7\xb6\x9a\xe3\x81\x84\xe3\x81\xa6\xe3\x81\x84"
                   "\xe3\x82\x8b\xe3\x80\x82\xe7\x81\xaf\xe5\x8f\xb0\xe3\x81\xae\xe5\x85\x89\xe3\x80\x82"},
  };
  const std::vector<size_t> sizes = {541, 4 << 10, 100 << 10, 1 << 20};
  std::printf("%-22s %9s %12s %12s %7s  %s\n", "body", "bytes", "check us", "simdjson us", "ratio", "decided by");
  for (const Kind& kind : kinds) {
    for (size_t size : sizes) {
      const std::string text = Conversation(kind.line, size);
      ChatBodyScan scan;
      const bool quick = switchboard::providers::QuickScanChatBody(text, scan);
      // Runs of the two alternated, so that what the host does to one it does
      // to the other; the ratio is the median of each pair's.
      std::vector<double> checks, documents, ratios;
      auto scan_chat_body = [](std::string_view body, ChatBodyScan& out) {
        return switchboard::providers::ScanChatBody(body, out);
      };
      for (int r = 0; r < runs; ++r) {
        checks.push_back(MicrosPerCheck(text, scan_chat_body, millis));
        documents.push_back(MicrosPerCheck(text, switchboard::providers::DocumentScanChatBody, millis));
        ratios.push_back(checks.back() / documents.back());
      }
      const double check = Median(checks), document = Median(documents), ratio = Median(ratios);
      std::printf("%-22s %9zu %12.2f %12.2f %6.2fx  %s\n", kind.name, text.size(), check, document, ratio,
                  quick ? "the quick pass" : "simdjson");
    }
  }
}
