// QuickScanOpenAiAnswer: an OpenAI-compatible answer or streamed chunk
// checked and read in one pass, no tree (declared in json_codec.h).
//
// Every streamed chunk is checked to be JSON before it is relayed, and a
// stream's chunks are small (about 200 bytes), where simdjson's document
// parser, fast per byte, spends most of its work in fixed costs (two stages
// and the tape they fill). This pass is quick_json.h's Walk, a plain
// recursive-descent check of RFC 8259 over an explicit stack, with a reader
// that notes on its way the few members the OpenAI translator reads.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "dataplane/providers/json_codec.h"
#include "dataplane/providers/quick_json.h"

namespace switchboard::providers {
namespace {

using namespace quick_json;

// Deeper nesting is left undecided (the full parsers take it); answers nest
// five or six levels.
constexpr size_t kMaxDepth = 64;
// Larger texts are left to simdjson (not copied, and fast per byte there).
constexpr size_t kMaxQuickBytes = 1 << 20;

// The members the scan reads, by where they are.
enum class Member { kOther, kUsage, kChoices, kPromptTokens, kCompletionTokens, kTotalTokens };

Member TopLevelMember(std::string_view key) {
  if (key == "usage") return Member::kUsage;
  if (key == "choices") return Member::kChoices;
  return Member::kOther;
}

Member UsageMember(std::string_view key) {
  if (key == "prompt_tokens") return Member::kPromptTokens;
  if (key == "completion_tokens") return Member::kCompletionTokens;
  if (key == "total_tokens") return Member::kTotalTokens;
  return Member::kOther;
}

// The count of `member` in `usage` (Usage or const Usage).
template <class UsageType>
auto* Count(UsageType& usage, Member member) {
  return member == Member::kPromptTokens       ? &usage.prompt_tokens
         : member == Member::kCompletionTokens ? &usage.completion_tokens
                                               : &usage.total_tokens;
}

// What the answer check reads, as Walk meets it.
class AnswerReader {
 public:
  explicit AnswerReader(const Usage& usage) : usage_(usage), counts_(usage) {}

  bool Value(size_t depth, const char* p) {
    const Member value_of = member_;
    member_ = Member::kOther;
    // A count's repeated member counts with its last value: if that is not
    // an integer, the count keeps what it held before the answer.
    count_ = Member::kOther;
    if (depth == 2 && in_usage_ && value_of != Member::kOther) {
      count_ = value_of;
      *Count(counts_, value_of) = *Count(usage_, value_of);
    }
    if (depth == 1 && value_of != Member::kOther) {
      if (value_of == Member::kUsage) {
        found_.has_usage = true;
        counts_ = usage_;
        usage_is_object_ = *p == '{';
        in_usage_ = usage_is_object_;
      } else if (value_of == Member::kChoices) {
        found_.empty_choices = *p == '[' && *SkipSpace(p + 1) == ']';
      }
    }
    return true;
  }

  bool Key(size_t depth, std::string_view name, bool escaped) {
    if (depth == 1 || (depth == 2 && in_usage_)) {
      // A key with an escape might spell a member read here: undecided.
      if (escaped) return false;
      member_ = depth == 1 ? TopLevelMember(name) : UsageMember(name);
    }
    return true;
  }

  bool String(size_t, std::string_view, bool) { return true; }

  bool Number(size_t, std::string_view text, bool integer) {
    if (count_ != Member::kOther && integer) {
      // A count the full parse reads as an integer. Signed or over 18
      // digits: left to it (how it keeps -0 and values past int64).
      if (text[0] == '-' || text.size() > 18) return false;
      int64_t value = 0;
      for (char d : text) value = value * 10 + (d - '0');
      *Count(counts_, count_) = value;
    }
    return true;
  }

  void Closed(size_t depth, const char*) {
    if (depth == 1) in_usage_ = false;
  }

  // After the walk accepted the text, whose first byte but space is `first`.
  void Finish(char first, Usage& usage, AnswerScan& scan) {
    found_.object = first == '{';
    if (found_.has_usage && usage_is_object_) usage = counts_;
    scan = found_;
  }

 private:
  const Usage& usage_;  // the counts before the answer
  AnswerScan found_;
  // The last "usage" member's counts, started from what `usage_` held (as
  // the full parse reads them), and whether that member is an object.
  Usage counts_;
  bool usage_is_object_ = false;
  // The member whose value comes next: at depth 1 a top-level one, at depth
  // 2 one of the last "usage" object's (while `in_usage_`).
  Member member_ = Member::kOther;
  bool in_usage_ = false;
  Member count_ = Member::kOther;  // the count the number being read sets, if any
};

}  // namespace

bool QuickScanOpenAiAnswer(std::string_view text, Usage& usage, AnswerScan& scan) {
  if (text.size() > kMaxQuickBytes) return false;
  std::string own;
  const char* p = PaddedCopy(text, own);
  // Answers are small: this pass takes them whatever their script.
  ptrdiff_t wide = PTRDIFF_MAX;
  AnswerReader reader(usage);
  if (!Walk<kMaxDepth>(p, p + text.size(), wide, reader)) return false;
  reader.Finish(*SkipSpace(p), usage, scan);
  return true;
}

}  // namespace switchboard::providers
