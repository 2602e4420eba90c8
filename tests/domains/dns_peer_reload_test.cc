// DnsPeer::SetZone / dns_server.py's SIGHUP reload, which the domain tests rely on: a new
// zone is served by the same server as soon as SetZone returns, reloads can repeat, a zone
// that does not parse is refused and the old one stays, and SIGTERM still stops the server
// cleanly afterwards. (It lives here, beside its users, because tests/dns/BUILD.bazel is not
// this change's to edit; it belongs in tests/dns.)
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "server/dns/cares_resolver.h"
#include "tests/dns/dns_peer.h"

namespace kirim::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<std::string> TxtOrError(dns::Resolver& resolver, const std::string& name) {
  absl::StatusOr<std::vector<std::string>> txt = resolver.LookupTxt(name);
  if (!txt.ok()) return {std::string(txt.status().message())};
  return *txt;
}

TEST(DnsPeerReloadTest, SetZoneServesTheNewZoneOnTheSamePort) {
  DnsPeer peer;
  absl::Status started = peer.Start({.zone = "a.test. 300 IN TXT \"one\"\n", .fail = {}});
  ASSERT_TRUE(started.ok()) << started;
  const int port = peer.port();
  dns::CaresResolver resolver({.servers = peer.server()});  // default timeouts: generous
  EXPECT_THAT(TxtOrError(resolver, "a.test"), ElementsAre("one"));

  absl::Status first = peer.SetZone("a.test. 300 IN TXT \"two\"\nb.test. 300 IN TXT \"new\"\n");
  ASSERT_TRUE(first.ok()) << first;
  EXPECT_EQ(peer.port(), port);
  EXPECT_THAT(TxtOrError(resolver, "a.test"), ElementsAre("two"));
  EXPECT_THAT(TxtOrError(resolver, "b.test"), ElementsAre("new"));

  absl::Status second = peer.SetZone("b.test. 300 IN TXT \"again\"\n");
  ASSERT_TRUE(second.ok()) << second;
  EXPECT_THAT(TxtOrError(resolver, "a.test"), ElementsAre(HasSubstr("NXDOMAIN")));
  EXPECT_THAT(TxtOrError(resolver, "b.test"), ElementsAre("again"));

  // Reloading did not disturb the stop signal: SIGTERM still ends it with status 0.
  EXPECT_EQ(peer.Stop(), 0);
}

TEST(DnsPeerReloadTest, ZoneThatDoesNotParseIsRefusedAndTheOldOneStays) {
  DnsPeer peer;
  absl::Status started = peer.Start({.zone = "a.test. 300 IN TXT \"one\"\n", .fail = {}});
  ASSERT_TRUE(started.ok()) << started;
  dns::CaresResolver resolver({.servers = peer.server()});  // default timeouts: generous

  absl::Status bad = peer.SetZone("a.test. 300 IN NOSUCHTYPE x\n");
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument) << bad;
  EXPECT_THAT(bad.message(), HasSubstr("RELOAD FAILED 1"));
  EXPECT_THAT(TxtOrError(resolver, "a.test"), ElementsAre("one"));

  // The count goes on: the next reload is "RELOADED 2".
  absl::Status good = peer.SetZone("a.test. 300 IN TXT \"two\"\n");
  ASSERT_TRUE(good.ok()) << good;
  EXPECT_THAT(TxtOrError(resolver, "a.test"), ElementsAre("two"));
}

TEST(DnsPeerReloadTest, SetZoneBeforeStartIsRefused) {
  DnsPeer peer;
  EXPECT_EQ(peer.SetZone("a.test. 300 IN TXT \"one\"\n").code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace kirim::testing
