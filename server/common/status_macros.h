// Status propagation helpers. Abseil 20220623 ships no status macros, so Kirim defines the
// two it needs, once.
//
//   absl::StatusOr<Config> Load(...) {
//     KIRIM_RETURN_IF_ERROR(CheckSomething());
//     KIRIM_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
//     ...
//   }
#ifndef KIRIM_SERVER_COMMON_STATUS_MACROS_H_
#define KIRIM_SERVER_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define KIRIM_RETURN_IF_ERROR(expr)              \
  do {                                           \
    ::absl::Status kirim_status_ = (expr);       \
    if (!kirim_status_.ok()) return kirim_status_; \
  } while (0)

#define KIRIM_STATUS_CONCAT_INNER_(a, b) a##b
#define KIRIM_STATUS_CONCAT_(a, b) KIRIM_STATUS_CONCAT_INNER_(a, b)

#define KIRIM_ASSIGN_OR_RETURN(lhs, expr) \
  KIRIM_ASSIGN_OR_RETURN_IMPL_(KIRIM_STATUS_CONCAT_(kirim_statusor_, __LINE__), lhs, expr)

#define KIRIM_ASSIGN_OR_RETURN_IMPL_(var, lhs, expr) \
  auto var = (expr);                                 \
  if (!var.ok()) return std::move(var).status();     \
  lhs = std::move(var).value()

#endif  // KIRIM_SERVER_COMMON_STATUS_MACROS_H_
