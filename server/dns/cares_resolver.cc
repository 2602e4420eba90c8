#include "server/dns/cares_resolver.h"

#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "server/common/status_macros.h"

namespace kirim::dns {
namespace {

// What one ares_query reported: its status and, on success, a copy of the raw answer (c-ares
// frees its buffer when the callback returns).
struct Answer {
  bool done = false;
  int status = ARES_SUCCESS;
  std::string packet;

  const unsigned char* data() const {
    return reinterpret_cast<const unsigned char*>(packet.data());
  }
  int size() const { return static_cast<int>(packet.size()); }
};

void OnAnswer(void* arg, int status, int /*timeouts*/, unsigned char* abuf, int alen) {
  Answer* answer = static_cast<Answer*>(arg);
  answer->done = true;
  answer->status = status;
  if (status == ARES_SUCCESS && abuf != nullptr) {
    answer->packet.assign(reinterpret_cast<const char*>(abuf), alen);
  }
}

// One c-ares channel, used by one lookup on one thread. The Answers it fills must outlive it:
// destroying the channel completes any query still pending (ARES_EDESTRUCTION).
class Channel {
 public:
  static absl::StatusOr<std::unique_ptr<Channel>> Open(const CaresOptions& options) {
    if (options.timeout <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError("DNS timeout must be positive");
    }
    if (options.tries < 1) return absl::InvalidArgumentError("DNS tries must be at least 1");
    ares_options opts{};
    opts.timeout = static_cast<int>(std::clamp<int64_t>(absl::ToInt64Milliseconds(options.timeout),
                                                        1, std::numeric_limits<int>::max()));
    opts.tries = options.tries;
    auto channel = std::unique_ptr<Channel>(new Channel);
    int rc = ares_init_options(&channel->channel_, &opts, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
    if (rc != ARES_SUCCESS) {
      channel->channel_ = nullptr;
      return absl::UnavailableError(absl::StrCat("c-ares init failed: ", ares_strerror(rc)));
    }
    if (!options.servers.empty()) {
      rc = ares_set_servers_ports_csv(channel->channel_, options.servers.c_str());
      if (rc != ARES_SUCCESS) {
        return absl::InvalidArgumentError(
            absl::StrCat("bad DNS server list \"", options.servers, "\": ", ares_strerror(rc)));
      }
    }
    return channel;
  }

  ~Channel() {
    if (channel_ != nullptr) ares_destroy(channel_);
  }

  void Query(const std::string& name, int type, Answer* answer) {
    ares_query(channel_, name.c_str(), ns_c_in, type, &OnAnswer, answer);
  }

  // Runs the event loop until every query has completed. c-ares enforces the timeouts and
  // retries itself; poll() only sleeps until its next deadline or socket event. poll rather
  // than select: a busy server can have descriptors beyond FD_SETSIZE.
  void Wait(const std::vector<const Answer*>& answers) {
    auto pending = [&] {
      for (const Answer* a : answers) {
        if (!a->done) return true;
      }
      return false;
    };
    while (pending()) {
      ares_socket_t socks[ARES_GETSOCK_MAXNUM];
      int bits = ares_getsock(channel_, socks, ARES_GETSOCK_MAXNUM);
      pollfd fds[ARES_GETSOCK_MAXNUM];
      int nfds = 0;
      for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
        short events = 0;
        if (ARES_GETSOCK_READABLE(bits, i)) events |= POLLIN;
        if (ARES_GETSOCK_WRITABLE(bits, i)) events |= POLLOUT;
        if (events == 0) continue;
        fds[nfds++] = pollfd{socks[i], events, 0};
      }
      timeval tv;
      timeval* next = ares_timeout(channel_, nullptr, &tv);
      if (nfds == 0 && next == nullptr) {
        // Nothing to wait for yet queries pending: c-ares lost track of them. Fail them
        // (ARES_ECANCELLED) rather than block forever.
        ares_cancel(channel_);
        return;
      }
      int wait_ms = next == nullptr
                        ? -1
                        : static_cast<int>(next->tv_sec * 1000 + (next->tv_usec + 999) / 1000);
      int ready = poll(fds, nfds, wait_ms);
      if (ready < 0) {
        if (errno == EINTR) continue;
        // Cannot wait any more: fail what is still pending (ARES_ECANCELLED) rather than spin.
        ares_cancel(channel_);
        return;
      }
      if (ready == 0) {
        // A deadline passed: let c-ares retry or fail the queries that timed out.
        ares_process_fd(channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
        continue;
      }
      for (int i = 0; i < nfds; ++i) {
        if (fds[i].revents == 0) continue;
        // An error or hang-up is delivered as readable: c-ares learns of it from the read.
        bool readable = fds[i].revents & (POLLIN | POLLERR | POLLHUP);
        bool writable = fds[i].revents & POLLOUT;
        ares_process_fd(channel_, readable ? fds[i].fd : ARES_SOCKET_BAD,
                        writable ? fds[i].fd : ARES_SOCKET_BAD);
      }
    }
  }

 private:
  Channel() = default;
  ares_channel channel_ = nullptr;
};

// Runs one query of `type` for `name` and waits for it.
absl::StatusOr<Answer> QueryOne(const CaresOptions& options, const std::string& name, int type) {
  Answer answer;  // outlives the channel (declared first, destroyed last)
  KIRIM_ASSIGN_OR_RETURN(std::unique_ptr<Channel> channel, Channel::Open(options));
  channel->Query(name, type, &answer);
  channel->Wait({&answer});
  return answer;
}

// c-ares hands back absolute names without the trailing dot but keeps the case they were
// sent in; the seam promises CanonicalName form.
std::vector<MxRecord> ToMxRecords(const ares_mx_reply* head) {
  std::vector<MxRecord> out;
  for (const ares_mx_reply* mx = head; mx != nullptr; mx = mx->next) {
    out.push_back(MxRecord{mx->priority, CanonicalName(mx->host)});
  }
  return out;
}

std::vector<std::string> ToTxtRecords(const ares_txt_ext* head) {
  std::vector<std::string> out;
  for (const ares_txt_ext* t = head; t != nullptr; t = t->next) {
    // record_start marks the first character-string of each record; the rest continue it.
    if (t->record_start || out.empty()) out.emplace_back();
    out.back().append(reinterpret_cast<const char*>(t->txt), t->length);
  }
  return out;
}

// Appends the textual addresses of an A or AAAA answer to `out`.
absl::Status AppendAddresses(const Answer& answer, int family, const std::string& host,
                             std::vector<std::string>* out) {
  hostent* he = nullptr;
  int rc = family == AF_INET
               ? ares_parse_a_reply(answer.data(), answer.size(), &he, nullptr, nullptr)
               : ares_parse_aaaa_reply(answer.data(), answer.size(), &he, nullptr, nullptr);
  const char* type = family == AF_INET ? "A" : "AAAA";
  if (rc != ARES_SUCCESS) return StatusFromAres(rc, type, host);
  size_t before = out->size();
  char text[INET6_ADDRSTRLEN];
  for (char** addr = he->h_addr_list; *addr != nullptr; ++addr) {
    if (inet_ntop(family, *addr, text, sizeof(text)) != nullptr) out->push_back(text);
  }
  ares_free_hostent(he);
  if (out->size() == before) return StatusFromAres(ARES_ENODATA, type, host);
  return absl::OkStatus();
}

}  // namespace

absl::Status StatusFromAres(int ares_status, absl::string_view type, absl::string_view name) {
  if (ares_status == ARES_SUCCESS) return absl::OkStatus();
  std::string what = absl::StrCat("DNS ", type, " lookup for ", name, ": ");
  switch (ares_status) {
    case ARES_ENOTFOUND:
      return absl::NotFoundError(absl::StrCat(what, "NXDOMAIN (the name does not exist)"));
    case ARES_ENODATA:
      return absl::NotFoundError(absl::StrCat(what, "NODATA (no ", type, " records)"));
    case ARES_EBADNAME:
      return absl::InvalidArgumentError(absl::StrCat(what, ares_strerror(ares_status)));
    case ARES_ENOMEM:
      return absl::ResourceExhaustedError(absl::StrCat(what, ares_strerror(ares_status)));
    default:
      // Timeouts, SERVFAIL, REFUSED, unreachable servers, garbled replies: nothing the name
      // itself says, so a later attempt may succeed.
      return absl::UnavailableError(absl::StrCat(what, ares_strerror(ares_status)));
  }
}

// No ares_library_init: on Linux it is "nearly a do-nothing function" (ares_library_init(3))
// that must run before any other thread starts, which a library cannot promise.
CaresResolver::CaresResolver(CaresOptions options) : options_(std::move(options)) {}

CaresResolver::~CaresResolver() = default;

absl::Status CaresResolver::Validate(const CaresOptions& options) {
  return Channel::Open(options).status();
}

absl::StatusOr<std::vector<MxRecord>> CaresResolver::LookupMx(const std::string& domain) {
  KIRIM_ASSIGN_OR_RETURN(Answer answer, QueryOne(options_, domain, ns_t_mx));
  KIRIM_RETURN_IF_ERROR(StatusFromAres(answer.status, "MX", domain));
  ares_mx_reply* mx = nullptr;
  int rc = ares_parse_mx_reply(answer.data(), answer.size(), &mx);
  if (rc != ARES_SUCCESS) return StatusFromAres(rc, "MX", domain);
  std::vector<MxRecord> out = ToMxRecords(mx);
  ares_free_data(mx);
  // An answer of only CNAMEs whose target has no MX parses to an empty list.
  if (out.empty()) return StatusFromAres(ARES_ENODATA, "MX", domain);
  return out;
}

absl::StatusOr<std::vector<std::string>> CaresResolver::LookupTxt(const std::string& name) {
  KIRIM_ASSIGN_OR_RETURN(Answer answer, QueryOne(options_, name, ns_t_txt));
  KIRIM_RETURN_IF_ERROR(StatusFromAres(answer.status, "TXT", name));
  ares_txt_ext* txt = nullptr;
  int rc = ares_parse_txt_reply_ext(answer.data(), answer.size(), &txt);
  if (rc != ARES_SUCCESS) return StatusFromAres(rc, "TXT", name);
  std::vector<std::string> out = ToTxtRecords(txt);
  ares_free_data(txt);
  if (out.empty()) return StatusFromAres(ARES_ENODATA, "TXT", name);
  return out;
}

absl::StatusOr<std::vector<std::string>> CaresResolver::LookupAddresses(const std::string& host) {
  // Both families in parallel on one channel: one round trip, not two.
  Answer a, aaaa;  // outlive the channel
  KIRIM_ASSIGN_OR_RETURN(std::unique_ptr<Channel> channel, Channel::Open(options_));
  channel->Query(host, ns_t_a, &a);
  channel->Query(host, ns_t_aaaa, &aaaa);
  channel->Wait({&a, &aaaa});
  channel.reset();

  std::vector<std::string> out;
  absl::Status v4 = StatusFromAres(a.status, "A", host);
  if (v4.ok()) v4 = AppendAddresses(a, AF_INET, host, &out);
  absl::Status v6 = StatusFromAres(aaaa.status, "AAAA", host);
  if (v6.ok()) v6 = AppendAddresses(aaaa, AF_INET6, host, &out);
  if (!out.empty()) return out;
  // Nothing found. A definite "no such records" needs both families to say so; otherwise
  // report the failure, since the missing family might have had addresses.
  if (!absl::IsNotFound(v4)) return v4;
  if (!absl::IsNotFound(v6)) return v6;
  // NXDOMAIN, if either said it, is the stronger statement about the name.
  return a.status != ARES_ENOTFOUND && aaaa.status == ARES_ENOTFOUND ? v6 : v4;
}

}  // namespace kirim::dns
