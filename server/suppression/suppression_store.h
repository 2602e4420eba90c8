// SuppressionStore: each tenant's list of addresses Kirim must not send to — hard bounces,
// unsubscribes, complaints and operator entries. The send path checks every recipient with one
// Lookup; the worker records hard bounces with Add; AdminService lists, adds and removes.
//
//   KIRIM_ASSIGN_OR_RETURN(auto hits, store.Lookup("acme", {"Ana@Example.COM", "bo@example.net"}));
//   if (hits[0].has_value()) skip(hits[0]->reason);     // suppressed as "Ana@example.com"
//   KIRIM_RETURN_IF_ERROR(store.Add("acme", {"bo@example.net", v1::Suppression::HARD_BOUNCE,
//                                            "550 5.1.1 no such user", clock.Now()}));
//
// Addresses match in their normalized form (NormalizeAddress below): RFC 5321 §2.4 makes the
// domain case-insensitive and leaves the local part to the receiving host, so the domain is
// lower-cased and the local part kept byte for byte ("Ana@x.com" and "ana@x.com" are two
// entries). Every address a store accepts is an RFC 5321 §4.1.2 addr-spec (ParseAddrSpec in
// server/address/address.h); anything else is InvalidArgument. Entries are tenant-scoped: no
// call ever sees or changes another tenant's list. Errors from the backend pass through as it
// classifies them: UNAVAILABLE when Redis is down (retry; nothing was changed).
//
// Production wires RedisSuppressionStore (redis_suppression_store.h); tests use
// kirim::testing::FakeSuppressionStore (tests/suppression/fake_suppression_store.h). Both apply
// the shared rules declared at the end of this header, and tests/suppression runs one contract
// suite against both, so they cannot drift apart.
#ifndef KIRIM_SERVER_SUPPRESSION_SUPPRESSION_STORE_H_
#define KIRIM_SERVER_SUPPRESSION_SUPPRESSION_STORE_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "kirim/v1/admin_service.pb.h"

namespace kirim {

struct SuppressionEntry {
  // Normalized (NormalizeAddress) in everything a store returns; callers may pass any case.
  std::string address;
  // Never REASON_UNSPECIFIED in a stored entry.
  v1::Suppression::Reason reason = v1::Suppression::REASON_UNSPECIFIED;
  // The remote server's reply (hard bounce) or a note; at most kMaxSuppressionDetailBytes of
  // UTF-8, may be empty.
  std::string detail;
  // When the evidence for `reason` was last recorded (see Add).
  absl::Time create_time;

  // The public view, named "suppressions/{address}".
  v1::Suppression ToProto() const;
};

class SuppressionStore {
 public:
  virtual ~SuppressionStore() = default;

  // Suppresses `entry.address` for `tenant`: an upsert keyed by the normalized address, so
  // repeating an Add changes nothing. When the address is already suppressed, the stronger
  // reason wins, in the order COMPLAINT > UNSUBSCRIBE > HARD_BOUNCE > MANUAL
  // (SuppressionReasonRank):
  //   - a stronger reason replaces the entry (reason, detail, create_time);
  //   - the same reason refreshes detail and create_time when `entry` is not older than the
  //     stored one (a later hard bounce says the mailbox is still gone);
  //   - a weaker reason changes nothing: a bounce or an operator's note never hides that the
  //     recipient complained or unsubscribed, which is consent and must outlive them.
  // InvalidArgument for a bad tenant, address, reason (unspecified or unknown) or detail.
  virtual absl::Status Add(const std::string& tenant, const SuppressionEntry& entry) = 0;

  // Unsuppresses `address` whatever its reason. True if it was suppressed, false if there was
  // nothing to remove (another tenant's entry included). InvalidArgument for a bad tenant or
  // address.
  virtual absl::StatusOr<bool> Remove(const std::string& tenant, const std::string& address) = 0;

  // One round trip for many addresses (the send path checks every recipient at once):
  // result[i] is set when addresses[i] is suppressed, with the stored (normalized) address.
  // Repeated addresses are fine; an empty list costs nothing. InvalidArgument for a bad tenant
  // or if any address is not an addr-spec (the message names its index: "addresses[2]: ...").
  virtual absl::StatusOr<std::vector<std::optional<SuppressionEntry>>> Lookup(
      const std::string& tenant, const std::vector<std::string>& addresses) = 0;

  // The tenant's entries in byte order of the normalized address, `page_size` at a time (0:
  // kDefaultSuppressionPageSize; above kMaxSuppressionPageSize: that many). Returns the page
  // and the token of the next one, "" after the last page. `page_token` is opaque: "" for the
  // first page, else a token List returned; entries added or removed between pages never make
  // a page repeat or skip one that stayed. InvalidArgument for a bad tenant, a negative
  // page_size or a malformed token.
  virtual absl::StatusOr<std::pair<std::vector<SuppressionEntry>, std::string>> List(
      const std::string& tenant, int page_size, const std::string& page_token) = 0;
};

// The key an address is matched by: RFC 5321 §2.4, the domain lower-cased (an address literal
// as ParseAddrSpec writes it, "[IPv6:2001:db8::1]"), the local part kept as it is. For the send
// path and the worker, which match addresses they already parsed (Mailbox::Address()); an
// input that is not an addr-spec still gets its text after the last '@' lower-cased, and never
// matches a stored entry, since stores only hold valid addresses.
std::string NormalizeAddress(absl::string_view address);

// ---- Shared rules for SuppressionStore implementations and the API edge. ----

inline constexpr size_t kMaxSuppressionDetailBytes = 1024;
inline constexpr int kDefaultSuppressionPageSize = 100;
inline constexpr int kMaxSuppressionPageSize = 1000;

// The normalized form of a valid addr-spec; InvalidArgument with ParseAddrSpec's reason
// ("missing '@'", ...) otherwise.
absl::StatusOr<std::string> CanonicalAddress(absl::string_view address);

// "suppressions/{address}", and back: ParseSuppressionName returns the normalized address, or
// InvalidArgument when `name` lacks the prefix or the rest is not an addr-spec.
std::string SuppressionName(absl::string_view address);
absl::StatusOr<std::string> ParseSuppressionName(absl::string_view name);

// InvalidArgument for REASON_UNSPECIFIED ("a reason is required") or a value this build does
// not know ("unknown reason").
absl::Status ValidateSuppressionReason(v1::Suppression::Reason reason);

// At most kMaxSuppressionDetailBytes of valid UTF-8 (stored protos must hold valid UTF-8), no
// control characters but HTAB and LF (multi-line SMTP replies).
absl::Status ValidateSuppressionDetail(absl::string_view detail);

// Checks Add's arguments and returns `entry` with its address normalized.
absl::StatusOr<SuppressionEntry> CheckSuppressionEntry(absl::string_view tenant,
                                                       SuppressionEntry entry);

// Add's order of reasons: higher wins; 0 for REASON_UNSPECIFIED and unknown values.
int SuppressionReasonRank(v1::Suppression::Reason reason);

// Add over what is stored (nullopt: nothing): the entry to store, or nullopt when the stored
// one stays as it is. `incoming` as returned by CheckSuppressionEntry.
std::optional<SuppressionEntry> MergeSuppression(const std::optional<SuppressionEntry>& stored,
                                                 const SuppressionEntry& incoming);

// List's arguments, checked: how many entries to return and the address the page starts
// after ("" = from the first).
struct SuppressionPageRequest {
  int limit = kDefaultSuppressionPageSize;
  std::string after;
};
absl::StatusOr<SuppressionPageRequest> CheckListArgs(absl::string_view tenant, int page_size,
                                                     absl::string_view page_token);

// The page size and page token rules alone, for the API edge to name the bad field.
absl::Status ValidatePageSize(int page_size);
absl::StatusOr<std::string> DecodeSuppressionPageToken(absl::string_view page_token);

// The token of the page that starts after `last_address` (the last entry of this page).
std::string SuppressionPageToken(absl::string_view last_address);

}  // namespace kirim

#endif  // KIRIM_SERVER_SUPPRESSION_SUPPRESSION_STORE_H_
