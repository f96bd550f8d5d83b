#include "common/json_write.h"

#include <array>
#include <bit>
#include <charconv>
#include <cstdint>
#include <cstring>

#include "common/string_stops.h"
#include "common/utf8.h"

namespace switchboard {
namespace {

using nlohmann::json;

// Characters a JSON string can carry as they are: not '"', '\\', a control
// character, or a byte of a multi-byte UTF-8 sequence (those are checked).
constexpr std::array<bool, 256> kPlain = [] {
  std::array<bool, 256> plain{};
  for (int c = 0x20; c < 0x80; ++c) plain[c] = c != '"' && c != '\\';
  return plain;
}();

// The number of bytes from `s` (at most n) that need no look, 16 at a time
// with SSE2, 8 at a time elsewhere and for the rest.
size_t PlainRun(const unsigned char* s, size_t n) {
  size_t run = 0;
#if defined(__SSE2__)
  for (; run + 16 <= n; run += 16) {
    if (unsigned stops = string_stops::Stops16(s + run)) return run + static_cast<size_t>(std::countr_zero(stops));
  }
#endif
  while (run + 8 <= n && string_stops::Stops8(s + run) == 0) run += 8;
  // Fewer than eight left (or a special byte among the next eight): the last
  // eight bytes, overlapping plain ones before, say in one look whether any
  // is special; only then byte by byte.
  if (run < n && n >= 8 && run + 8 > n && string_stops::Stops8(s + n - 8) == 0) return n;
  while (run < n && kPlain[s[run]]) ++run;
  return run;
}

// Appends `text` as a JSON string; false when it is not valid UTF-8.
bool WriteStringOrFail(std::string_view text, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  size_t n = text.size();
  out.push_back('"');
  size_t i = 0;
  while (i < n) {
    const size_t run = i + PlainRun(s + i, n - i);
    out.append(text.data() + i, run - i);
    i = run;
    if (i == n) break;
    unsigned char c = s[i];
    if (c >= 0x80) {
      size_t len = utf8::SequenceLength(s + i, n - i);
      if (len == 0) return false;
      out.append(text.data() + i, len);
      i += len;
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: {
        char escape[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
        out.append(escape, 6);
      }
    }
    ++i;
  }
  out.push_back('"');
  return true;
}

template <typename Int>
void WriteInteger(Int value, std::string& out) {
  char buffer[24];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, end);
}

// Appends `value`; false when a string in it is not valid UTF-8.
bool Write(const json& value, std::string& out) {
  switch (value.type()) {
    case json::value_t::object: {
      out.push_back('{');
      bool first = true;
      for (const auto& [key, item] : value.get_ref<const json::object_t&>()) {
        if (!first) out.push_back(',');
        first = false;
        if (!WriteStringOrFail(key, out)) return false;
        out.push_back(':');
        if (!Write(item, out)) return false;
      }
      out.push_back('}');
      return true;
    }
    case json::value_t::array: {
      out.push_back('[');
      bool first = true;
      for (const auto& item : value.get_ref<const json::array_t&>()) {
        if (!first) out.push_back(',');
        first = false;
        if (!Write(item, out)) return false;
      }
      out.push_back(']');
      return true;
    }
    case json::value_t::string:
      return WriteStringOrFail(value.get_ref<const std::string&>(), out);
    case json::value_t::number_integer:
      WriteInteger(value.get<int64_t>(), out);
      return true;
    case json::value_t::number_unsigned:
      WriteInteger(value.get<uint64_t>(), out);
      return true;
    case json::value_t::boolean:
      out += value.get<bool>() ? "true" : "false";
      return true;
    case json::value_t::null:
      out += "null";
      return true;
    default:
      // Floats (nlohmann's shortest round-trip form), binary, discarded:
      // rare and small, written by nlohmann itself.
      out += value.dump(-1, ' ', false, json::error_handler_t::replace);
      return true;
  }
}

}  // namespace

bool AppendJsonString(std::string_view text, std::string& out) {
  size_t before = out.size();
  if (WriteStringOrFail(text, out)) return true;
  out.resize(before);
  return false;
}

void AppendJsonInteger(int64_t value, std::string& out) { WriteInteger(value, out); }
void AppendJsonInteger(uint64_t value, std::string& out) { WriteInteger(value, out); }

size_t ValidUtf8SequenceLength(std::string_view text) {
  if (text.empty()) return 0;
  return utf8::SequenceLength(reinterpret_cast<const unsigned char*>(text.data()), text.size());
}

bool IsPlainJsonText(std::string_view text) {
  return PlainRun(reinterpret_cast<const unsigned char*>(text.data()), text.size()) == text.size();
}

void AppendJsonStringReplacing(std::string_view text, std::string& out) {
  if (AppendJsonString(text, out)) return;
  out += json(std::string(text)).dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string DumpJson(const json& value) {
  std::string out;
  if (Write(value, out)) return out;
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace switchboard
