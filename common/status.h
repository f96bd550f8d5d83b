#pragma once
// Error-propagation helpers for absl::Status / absl::StatusOr. Debian's Abseil
// (20220623) ships no status macros, so these are ours.

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define SB_STATUS_CONCAT_INNER_(a, b) a##b
#define SB_STATUS_CONCAT_(a, b) SB_STATUS_CONCAT_INNER_(a, b)

// Returns from the current function when `expr` (an absl::Status) is not ok.
#define RETURN_IF_ERROR(expr)                          \
  do {                                                 \
    ::absl::Status sb_status_ = (expr);                \
    if (!sb_status_.ok()) return sb_status_;           \
  } while (0)

// `ASSIGN_OR_RETURN(auto x, MakeX());` — assigns the value of a StatusOr, or
// returns its status from the current function.
#define ASSIGN_OR_RETURN(lhs, expr) \
  SB_ASSIGN_OR_RETURN_IMPL_(SB_STATUS_CONCAT_(sb_statusor_, __LINE__), lhs, expr)
#define SB_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return std::move(tmp).status();  \
  lhs = std::move(tmp).value()

namespace switchboard {

// Prefixes a status message with a config path: "modelProviders.x: <message>".
inline absl::Status WithPath(const absl::Status& status, std::string_view path) {
  if (status.ok()) return status;
  std::string message(path);
  message += ": ";
  message += std::string(status.message());
  return absl::Status(status.code(), message);
}

}  // namespace switchboard
