#include "common/flags.h"

#include "common/log.h"

namespace switchboard::flags {

bool Reader::Next() {
  if (++i_ >= argc_) return false;
  arg_ = argv_[i_];
  inline_value_.clear();
  has_inline_ = false;
  if (size_t eq = arg_.find('='); arg_.rfind("--", 0) == 0 && eq != std::string::npos) {
    inline_value_ = arg_.substr(eq + 1);
    arg_.resize(eq);
    has_inline_ = true;
  }
  return true;
}

bool Reader::Value(std::string& out) {
  if (has_inline_) {
    out = inline_value_;
    return true;
  }
  if (i_ + 1 >= argc_) return false;
  out = argv_[++i_];
  return true;
}

bool SetLogLevel(std::string_view level) {
  if (level == "debug") {
    log::SetMinLevel(log::Level::kDebug);
  } else if (level == "info") {
    log::SetMinLevel(log::Level::kInfo);
  } else if (level == "warn") {
    log::SetMinLevel(log::Level::kWarn);
  } else if (level == "error") {
    log::SetMinLevel(log::Level::kError);
  } else {
    return false;
  }
  return true;
}

}  // namespace switchboard::flags
