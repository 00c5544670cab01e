#include "grpc_error_text.h"

#include <array>
#include <string_view>

namespace cairn::server {
namespace {

// google.golang.org/grpc/codes Code.String(), indexed by code.
constexpr std::array<std::string_view, 17> kGoCodeNames = {
    "OK",       "Canceled",       "Unknown",          "InvalidArgument",   "DeadlineExceeded",
    "NotFound", "AlreadyExists",  "PermissionDenied", "ResourceExhausted", "FailedPrecondition",
    "Aborted",  "OutOfRange",     "Unimplemented",    "Internal",          "Unavailable",
    "DataLoss", "Unauthenticated"};

}  // namespace

std::string grpcErrorText(const Status& st) {
  const auto code = static_cast<size_t>(st.code());
  const std::string name = code < kGoCodeNames.size() ? std::string(kGoCodeNames[code])
                                                      : "Code(" + std::to_string(code) + ")";
  return "rpc error: code = " + name + " desc = " + st.message();
}

}  // namespace cairn::server
