// CaresResolver against a real DNS server (tests/peers/dns_server.py on loopback): the Resolver
// contract, plus what only a real network shows: TCP retry of long answers, SERVFAIL/REFUSED,
// a dead or silent server, concurrent lookups, bad options.
#include "server/dns/cares_resolver.h"

#include <ares.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "tests/dns/dns_peer.h"
#include "tests/dns/resolver_contract.h"
#include "tests/harness/subprocess.h"

namespace kirim::testing {
namespace {

using dns::CaresOptions;
using dns::CaresResolver;
using dns::MxRecord;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Absolute(const std::string& name) { return name.back() == '.' ? name : name + "."; }

// `zone` in master-file syntax for dns_server.py.
std::string ZoneFile(const TestZone& zone) {
  std::string out;
  for (const TestZone::Mx& mx : zone.mx) {
    absl::StrAppend(&out, Absolute(mx.name), " 300 IN MX ", mx.preference, " ",
                    Absolute(mx.exchange), "\n");
  }
  for (const TestZone::Address& a : zone.addresses) {
    const char* type = a.ip.find(':') == std::string::npos ? "A" : "AAAA";
    absl::StrAppend(&out, Absolute(a.name), " 300 IN ", type, " ", a.ip, "\n");
  }
  for (const TestZone::Txt& t : zone.txt) {
    absl::StrAppend(&out, Absolute(t.name), " 300 IN TXT");
    for (const std::string& s : t.strings) {
      absl::StrAppend(&out, " \"", absl::StrReplaceAll(s, {{"\\", "\\\\"}, {"\"", "\\\""}}), "\"");
    }
    absl::StrAppend(&out, "\n");
  }
  return out;
}

// Generous limits: these tests check answers, not speed, and a loaded machine must not fail
// them.
CaresOptions OptionsFor(const DnsPeer& peer) {
  CaresOptions options;
  options.servers = peer.server();
  options.timeout = absl::Seconds(5);
  options.tries = 2;
  return options;
}

class CaresHarness final : public ResolverHarness {
 public:
  absl::Status Start(const TestZone& zone) override {
    absl::Status started = peer_.Start({.zone = ZoneFile(zone), .fail = {}});
    if (started.ok()) resolver_ = std::make_unique<CaresResolver>(OptionsFor(peer_));
    return started;
  }
  dns::Resolver& resolver() override { return *resolver_; }

 private:
  DnsPeer peer_;
  std::unique_ptr<CaresResolver> resolver_;
};

std::unique_ptr<ResolverHarness> MakeCaresHarness() { return std::make_unique<CaresHarness>(); }

INSTANTIATE_TEST_SUITE_P(Cares, ResolverContractTest, ::testing::Values(&MakeCaresHarness));

class CaresResolverTest : public ::testing::Test {
 protected:
  void StartPeer(std::vector<std::string> fail = {}) {
    absl::Status started = peer_.Start({.zone = ZoneFile(ContractZone()), .fail = fail});
    ASSERT_TRUE(started.ok()) << started;
  }
  DnsPeer peer_;
};

TEST_F(CaresResolverTest, LongTxtAnswerIsFetchedAgainOverTcp) {
  StartPeer();
  CaresResolver resolver(OptionsFor(peer_));
  absl::StatusOr<std::vector<std::string>> txt = resolver.LookupTxt("txt.test");
  ASSERT_TRUE(txt.ok()) << txt.status();
  EXPECT_EQ(txt->size(), 2);
  // The UDP reply was truncated at 512 bytes (RFC 1035 §4.2.1); the answer came over TCP.
  EXPECT_TRUE(peer_.WaitForQuery("QUERY udp txt.test. TXT NOERROR TRUNCATED").ok());
  EXPECT_TRUE(peer_.WaitForQuery("QUERY tcp txt.test. TXT NOERROR").ok());
}

TEST_F(CaresResolverTest, ServfailAndRefusedAreUnavailable) {
  StartPeer({"broken.test=SERVFAIL", "closed.test=REFUSED"});
  CaresResolver resolver(OptionsFor(peer_));

  absl::StatusOr<std::vector<MxRecord>> mx = resolver.LookupMx("broken.test");
  EXPECT_EQ(mx.status().code(), absl::StatusCode::kUnavailable) << mx.status();
  EXPECT_THAT(mx.status().message(), HasSubstr("broken.test"));

  absl::StatusOr<std::vector<std::string>> addresses = resolver.LookupAddresses("broken.test");
  EXPECT_EQ(addresses.status().code(), absl::StatusCode::kUnavailable) << addresses.status();

  absl::StatusOr<std::vector<std::string>> txt = resolver.LookupTxt("closed.test");
  EXPECT_EQ(txt.status().code(), absl::StatusCode::kUnavailable) << txt.status();
}

TEST(CaresResolverNoServerTest, NothingListeningIsUnavailable) {
  CaresOptions options;
  options.servers = absl::StrCat("127.0.0.1:", FreePort());
  options.timeout = absl::Milliseconds(300);
  options.tries = 2;
  CaresResolver resolver(options);

  EXPECT_EQ(resolver.LookupMx("two.test").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(resolver.LookupAddresses("two.test").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(resolver.LookupTxt("two.test").status().code(), absl::StatusCode::kUnavailable);
}

TEST(CaresResolverNoServerTest, SilentServerTimesOutAsUnavailable) {
  // A UDP socket that is bound but never read: queries reach it and no answer ever comes.
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);

  CaresOptions options;
  options.servers = absl::StrCat("127.0.0.1:", ntohs(addr.sin_port));
  options.timeout = absl::Milliseconds(300);
  options.tries = 2;
  CaresResolver resolver(options);
  absl::StatusOr<std::vector<MxRecord>> mx = resolver.LookupMx("two.test");
  EXPECT_EQ(mx.status().code(), absl::StatusCode::kUnavailable) << mx.status();
  EXPECT_THAT(mx.status().message(), HasSubstr("two.test"));
  close(fd);
}

TEST_F(CaresResolverTest, ConcurrentLookupsFromManyThreads) {
  StartPeer();
  CaresResolver resolver(OptionsFor(peer_));
  constexpr int kThreads = 8;
  constexpr int kRounds = 10;
  std::vector<int> failures(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRounds; ++i) {
        absl::StatusOr<std::vector<MxRecord>> mx = resolver.LookupMx("two.test");
        absl::StatusOr<std::vector<std::string>> ip = resolver.LookupAddresses("dual.test");
        absl::Status nx = resolver.LookupTxt("nope.test").status();
        if (!mx.ok() || mx->size() != 2 || !ip.ok() || ip->size() != 2 || !absl::IsNotFound(nx)) {
          ++failures[t];
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_THAT(failures, ::testing::Each(0));
}

TEST(CaresOptionsTest, ValidateAcceptsServerLists) {
  CaresOptions options;
  options.servers = "127.0.0.1:5353,[::1]:53,192.0.2.53";
  EXPECT_TRUE(CaresResolver::Validate(options).ok()) << CaresResolver::Validate(options);
  EXPECT_TRUE(CaresResolver::Validate(CaresOptions{}).ok());
}

TEST(CaresOptionsTest, ValidateRejectsBadOptions) {
  CaresOptions bad_servers;
  bad_servers.servers = "dns.example:53";
  EXPECT_EQ(CaresResolver::Validate(bad_servers).code(), absl::StatusCode::kInvalidArgument);

  CaresOptions zero_timeout;
  zero_timeout.timeout = absl::ZeroDuration();
  EXPECT_EQ(CaresResolver::Validate(zero_timeout).code(), absl::StatusCode::kInvalidArgument);

  CaresOptions no_tries;
  no_tries.tries = 0;
  EXPECT_EQ(CaresResolver::Validate(no_tries).code(), absl::StatusCode::kInvalidArgument);

  // Not validated up front: every lookup says what is wrong.
  CaresResolver resolver(bad_servers);
  absl::Status status = resolver.LookupMx("two.test").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("dns.example:53"));
}

TEST(StatusFromAresTest, NotFoundOnlyForAnswersThatSayNo) {
  EXPECT_TRUE(dns::StatusFromAres(ARES_SUCCESS, "MX", "a.test").ok());

  absl::Status nx = dns::StatusFromAres(ARES_ENOTFOUND, "MX", "a.test");
  EXPECT_EQ(nx.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(nx.message(), HasSubstr("NXDOMAIN"));
  absl::Status nodata = dns::StatusFromAres(ARES_ENODATA, "MX", "a.test");
  EXPECT_EQ(nodata.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(nodata.message(), HasSubstr("NODATA"));

  for (int transient : {ARES_ETIMEOUT, ARES_ESERVFAIL, ARES_ECONNREFUSED, ARES_EREFUSED,
                        ARES_EBADRESP, ARES_EFORMERR, ARES_ENOTIMP, ARES_ECANCELLED}) {
    absl::Status status = dns::StatusFromAres(transient, "MX", "a.test");
    EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << transient << ": " << status;
    EXPECT_THAT(status.message(), HasSubstr("MX lookup for a.test"));
  }
  EXPECT_EQ(dns::StatusFromAres(ARES_EBADNAME, "MX", "a..test").code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kirim::testing
