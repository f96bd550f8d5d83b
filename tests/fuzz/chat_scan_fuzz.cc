// Fuzz target: a chat request body through ScanChatBody's two passes, the
// quick one (QuickScanChatBody) against the document one
// (DocumentScanChatBody, simdjson's document).
//
// Input: the body.
//
// What must hold: nothing crashes or reads past the text; whatever the quick
// pass accepts, the document pass accepts, with the same scan (the model, its
// place, `stream`, the closing brace); what the quick pass declines it leaves
// untouched; ScanChatBody accepts exactly what either pass accepts.

#include <cstdint>
#include <string>

#include "dataplane/providers/chat_scan.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using switchboard::providers::ChatBodyScan;

bool SameScan(const ChatBodyScan& a, const ChatBodyScan& b) {
  return a.model == b.model && a.stream == b.stream && a.model_begin == b.model_begin && a.model_end == b.model_end &&
         a.close == b.close;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace switchboard::providers;
  // A copy of exactly the input's size, so a read past it is caught by ASan.
  const std::string text(switchboard::fuzz::AsText(data, size));
  ChatBodyScan document;
  const bool accepted = DocumentScanChatBody(text, document);

  ChatBodyScan quick;
  quick.model = "untouched";
  if (QuickScanChatBody(text, quick)) {
    if (!accepted) switchboard::fuzz::Fail("the quick pass accepted a body the document pass refuses");
    if (!SameScan(quick, document)) switchboard::fuzz::Fail("the quick pass read the body otherwise");
    if (quick.kept_use != 0) switchboard::fuzz::Fail("the quick pass claims a document");
  } else if (quick.model != "untouched" || quick.stream || quick.close != 0) {
    switchboard::fuzz::Fail("the quick pass declined but changed what it was given");
  }

  ChatBodyScan scan;
  if (ScanChatBody(text, scan) != accepted) switchboard::fuzz::Fail("ScanChatBody decided otherwise than its passes");
  if (accepted && !SameScan(scan, document)) switchboard::fuzz::Fail("ScanChatBody read the body otherwise");
  return 0;
}
