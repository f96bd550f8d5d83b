#pragma once
// Structured logging: one JSON object per line on stderr. Thread-safe; a line is
// written with a single write(2), so lines from several threads never interleave.
// Never pass message text, keys or tokens as fields.

#include <string_view>

#include <nlohmann/json.hpp>

namespace switchboard::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

void SetMinLevel(Level level);
bool Enabled(Level level);

// {"ts":"2026-11-22T03:57:01.123Z","level":"info","msg":<msg>, ...fields}
void Write(Level level, std::string_view msg, const nlohmann::json& fields = nlohmann::json::object());

inline void Debug(std::string_view msg, const nlohmann::json& f = nlohmann::json::object()) { Write(Level::kDebug, msg, f); }
inline void Info(std::string_view msg, const nlohmann::json& f = nlohmann::json::object()) { Write(Level::kInfo, msg, f); }
inline void Warn(std::string_view msg, const nlohmann::json& f = nlohmann::json::object()) { Write(Level::kWarn, msg, f); }
inline void Error(std::string_view msg, const nlohmann::json& f = nlohmann::json::object()) { Write(Level::kError, msg, f); }

}  // namespace switchboard::log
