// kirimctl's exit codes: the one list scripts can rely on (docs/kirimctl.md has the table).
// A code is chosen by what the caller should do next, not by where the failure happened.
//
//   if (!status.ok()) return ReportStatus(status, std::cerr);   // kExitRefused or kExitUnreachable
//   if (args.size() != 1) return UsageError(command, "expected one message id", std::cerr);
#ifndef KIRIM_CLIENT_CTL_EXIT_CODES_H_
#define KIRIM_CLIENT_CTL_EXIT_CODES_H_

namespace kirim::ctl {

// The command did what was asked (for `watch <id>`: the message was delivered).
inline constexpr int kExitOk = 0;
// The server answered and refused: fix the request or the state and try again. The gRPC code
// and the google.rpc details are printed on stderr.
inline constexpr int kExitRefused = 1;
// The command line, the environment or the config file is wrong (unknown command or flag, bad
// flag value, wrong number of arguments, unreadable file). Nothing was sent.
inline constexpr int kExitUsage = 2;
// The server could not be reached or did not answer in time (UNAVAILABLE, DEADLINE_EXCEEDED):
// retrying later may work, and nothing is known about the outcome of a call that timed out.
inline constexpr int kExitUnreachable = 3;
// `domains verify`: the domain's DNS records are not all right yet.
inline constexpr int kExitNotVerified = 4;
// `batch`: the run finished but some recipients were refused (they are listed).
inline constexpr int kExitPartlyRefused = 5;
// `watch <id>`: the message reached a final state other than DELIVERED (FAILED,
// PARTIALLY_DELIVERED, CANCELLED).
inline constexpr int kExitNotDelivered = 6;

}  // namespace kirim::ctl

#endif  // KIRIM_CLIENT_CTL_EXIT_CODES_H_
