// Status: the error currency of the kernel and its plugins.
//
// The codes are gRPC's (same numbers), because every error a client sees is a
// gRPC status with etcd's exact message; carrying the code from the point of
// failure means no layer has to re-guess it.
//
// A Status made from the error catalogue (cairn/errors.h) also carries the
// catalogue entry it came from, so code asks `st.is(Error::LeaseNotFound)`
// instead of comparing message strings.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

namespace cairn {

enum class StatusCode : int {
  Ok = 0,
  Cancelled = 1,
  Unknown = 2,
  InvalidArgument = 3,
  DeadlineExceeded = 4,
  NotFound = 5,
  AlreadyExists = 6,
  PermissionDenied = 7,
  ResourceExhausted = 8,
  FailedPrecondition = 9,
  Aborted = 10,
  OutOfRange = 11,
  Unimplemented = 12,
  Internal = 13,
  Unavailable = 14,
  DataLoss = 15,
  Unauthenticated = 16,
};

// An entry of the error catalogue; defined in cairn/errors.h. `None` (0) marks
// a Status that did not come from the catalogue (an ad-hoc internal error).
enum class Error : uint16_t;

class Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}
  // A catalogue error with its exact message (see cairn/errors.h); `detail`,
  // when given, replaces the message for the entries whose text varies
  // (those documented as "message from detail").
  explicit Status(Error error);
  Status(Error error, std::string detail);

  static Status ok() { return Status(); }

  bool isOk() const { return code_ == StatusCode::Ok; }
  explicit operator bool() const { return isOk(); }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // The catalogue entry, or Error{0} (Error::None) for ad-hoc errors and Ok.
  Error error() const { return error_; }
  bool is(Error e) const { return error_ == e; }

 private:
  StatusCode code_ = StatusCode::Ok;
  std::string message_;
  Error error_{};
};

}  // namespace cairn

#include "cairn/errors.h"  // IWYU pragma: export (the catalogue completes Status)
