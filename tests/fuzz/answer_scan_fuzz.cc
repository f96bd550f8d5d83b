// Fuzz target: an upstream answer or streamed chunk through
// QuickScanOpenAiAnswer and ScanOpenAiAnswer, against nlohmann's parser.
//
// Input: the text.
//
// What must hold: nothing crashes or reads past the text; whatever either scan
// accepts, nlohmann accepts, and the scan reads the same members (is it an
// object, has it "usage", is "choices" an empty array, the three counts) as
// nlohmann's tree does; what the quick pass declines it leaves untouched.

#include <cstdint>
#include <string>
#include <string_view>

#include "dataplane/providers/errors.h"
#include "dataplane/providers/json_codec.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using namespace switchboard::providers;

bool Same(const Usage& a, const Usage& b) {
  return a.prompt_tokens == b.prompt_tokens && a.completion_tokens == b.completion_tokens &&
         a.total_tokens == b.total_tokens;
}

bool Same(const AnswerScan& a, const AnswerScan& b) {
  return a.object == b.object && a.has_usage == b.has_usage && a.empty_choices == b.empty_choices;
}

constexpr Usage kBefore{7, 8, 15};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // A copy of exactly the input's size, so a read past it is caught by ASan.
  const std::string text(switchboard::fuzz::AsText(data, size));
  auto value = nlohmann::json::parse(text, nullptr, false);
  const bool is_json = !value.is_discarded();
  Usage expected_usage = kBefore;
  AnswerScan expected_scan;
  if (is_json && value.is_object()) {
    expected_scan.object = true;
    expected_scan.has_usage = value.contains("usage");
    auto choices = value.find("choices");
    expected_scan.empty_choices = choices != value.end() && choices->is_array() && choices->empty();
    ReadOpenAiUsage(value, expected_usage);
  }

  Usage usage = kBefore;
  AnswerScan scan;
  scan.object = true;  // untouched unless accepted
  if (QuickScanOpenAiAnswer(text, usage, scan)) {
    if (!is_json) switchboard::fuzz::Fail("the quick scan accepted what nlohmann refuses");
    if (!Same(usage, expected_usage) || !Same(scan, expected_scan)) {
      switchboard::fuzz::Fail("the quick scan read other members than nlohmann's tree has");
    }
  } else if (!Same(usage, kBefore) || !scan.object) {
    switchboard::fuzz::Fail("the quick scan declined but changed what it was given");
  }

  usage = kBefore;
  scan = AnswerScan();
  if (ScanOpenAiAnswer(text, usage, scan)) {
    if (!is_json) switchboard::fuzz::Fail("ScanOpenAiAnswer accepted what nlohmann refuses");
    if (!Same(usage, expected_usage) || !Same(scan, expected_scan)) {
      switchboard::fuzz::Fail("ScanOpenAiAnswer read other members than nlohmann's tree has");
    }
  }
  return 0;
}
