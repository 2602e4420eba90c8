#include "server/config/config.h"

#include <cstdio>
#include <fstream>

#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace kirim {
namespace {

using config::v1::Delivery;
using config::v1::Relay;

std::string WriteTemp(const std::string& name, const std::string& content) {
  std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
  std::ofstream(path) << content;
  return path;
}

TEST(ConfigTest, EmptyConfigGetsWorkingDevelopmentDefaults) {
  auto c = LoadConfig("", {});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->role(), "all");
  EXPECT_EQ(c->listen_address(), "127.0.0.1:50051");
  EXPECT_EQ(c->delivery().mode(), Delivery::SANDBOX);
  EXPECT_EQ(c->redis().port(), 6379);
  EXPECT_EQ(c->delivery().relay().port(), 587);
  EXPECT_TRUE(c->delivery().relay().verify_certificate());
  EXPECT_EQ(c->delivery().timeouts().data_end_ms(), 600000);  // RFC 5321 §4.5.3.2.6
}

TEST(ConfigTest, TextFileThenEnvironmentOverrides) {
  std::string path = WriteTemp("k.textproto", R"(
    role: "worker"
    redis { port: 7000 }
    delivery { mode: RELAY relay { host: "smtp.example.com" tls: IMPLICIT } }
  )");
  auto c = LoadConfig(path, {{"KIRIM_REDIS_PORT", "7001"}, {"KIRIM_RELAY_USERNAME", "u"}});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->role(), "worker");
  EXPECT_EQ(c->redis().port(), 7001);
  EXPECT_EQ(c->delivery().relay().port(), 465);  // IMPLICIT's default port
  EXPECT_EQ(c->delivery().relay().username(), "u");
}

TEST(ConfigTest, JsonFile) {
  std::string path = WriteTemp("k.json", R"({"listenAddress": "0.0.0.0:6000", "allowPlaintext": true, "delivery": {"mode": "RELAY", "relay": {"host": "r", "tls": "NONE"}}})");
  auto c = LoadConfig(path, {});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->listen_address(), "0.0.0.0:6000");
  EXPECT_EQ(c->delivery().relay().port(), 25);
}

TEST(ConfigTest, ErrorsNameTheField) {
  EXPECT_EQ(LoadConfig(WriteTemp("a", "role: \"boss\""), {}).status().message(),
            "role: must be \"api\", \"worker\" or \"all\"");
  EXPECT_EQ(LoadConfig(WriteTemp("b", "delivery { mode: RELAY }"), {}).status().message(),
            "delivery.relay.host: required in RELAY mode");
  EXPECT_EQ(LoadConfig("", {{"KIRIM_REDIS_PORT", "abc"}}).status().message(),
            "KIRIM_REDIS_PORT: not a number: \"abc\"");
  EXPECT_EQ(LoadConfig("", {{"KIRIM_DELIVERY_MODE", "carrier-pigeon"}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto parse = LoadConfig(WriteTemp("c", "nonsense_field: 1"), {});
  EXPECT_EQ(parse.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(parse.status().message().find("line 1"), std::string::npos) << parse.status();
  EXPECT_EQ(LoadConfig("/nonexistent/kirim.textproto", {}).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(ConfigTest, LeaseTimeoutMustCoverASlowSmtpSession) {
  std::string path = WriteTemp("d", "delivery { mode: RELAY relay { host: \"r\" } lease_timeout_ms: 5000 }");
  EXPECT_NE(LoadConfig(path, {}).status().message().find("delivery.lease_timeout_ms"),
            std::string::npos);
}

TEST(ConfigTest, PlaintextOnlyOnLoopbackUnlessAllowed) {
  EXPECT_TRUE(LoadConfig("", {{"KIRIM_LISTEN_ADDRESS", "127.0.0.1:1"}}).ok());
  EXPECT_TRUE(LoadConfig("", {{"KIRIM_LISTEN_ADDRESS", "[::1]:1"}}).ok());
  EXPECT_NE(LoadConfig("", {{"KIRIM_LISTEN_ADDRESS", "0.0.0.0:50051"}}).status().message().find("listen_address: plaintext"),
            std::string::npos);
  EXPECT_TRUE(LoadConfig("", {{"KIRIM_LISTEN_ADDRESS", "0.0.0.0:50051"}, {"KIRIM_ALLOW_PLAINTEXT", "true"}}).ok());
  // A worker serves no API on it, only health.
  EXPECT_TRUE(LoadConfig("", {{"KIRIM_LISTEN_ADDRESS", "0.0.0.0:50051"}, {"KIRIM_ROLE", "worker"}}).ok());
  EXPECT_FALSE(LoadConfig("", {{"KIRIM_LISTEN_ADDRESS", "0.0.0.0:50051"}, {"KIRIM_ROLE", "all"}}).ok());
  EXPECT_TRUE(LoadConfig("", {{"KIRIM_LISTEN_ADDRESS", "0.0.0.0:50051"},
                              {"KIRIM_TLS_CERT_FILE", "c.pem"}, {"KIRIM_TLS_KEY_FILE", "k.pem"}}).ok());
}

TEST(ConfigTest, TlsAndLimitsAreValidated) {
  EXPECT_EQ(LoadConfig(WriteTemp("t1", "tls { cert_file: \"c\" }"), {}).status().message(),
            "tls: cert_file and key_file go together");
  EXPECT_EQ(LoadConfig(WriteTemp("t2", "tls { cert_file: \"c\" key_file: \"k\" require_client_cert: true }"), {})
                .status().message(),
            "tls.require_client_cert: needs tls.client_ca_file");
  EXPECT_EQ(LoadConfig(WriteTemp("t3", "limits { tenants { tenant: \"a b\" } }"), {}).status().message(),
            "limits.tenants[0].tenant: 1 to 64 letters, digits, '-' or '_'");
  EXPECT_EQ(LoadConfig(WriteTemp("t4", "limits { tenants { tenant: \"acme\" rate_per_second: 5 } }"), {})
                .status().message(),
            "limits.tenants[0].burst: must be at least 1 with a rate");
  auto c = LoadConfig("", {});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->limits().default_tenant_limits().rate_per_second(), 100);
  EXPECT_EQ(c->security().admin_tenant(), "default");
  EXPECT_EQ(c->limits().max_request_bytes(), 2 * c->limits().max_message_bytes());
}

TEST(ConfigTest, SenderRoutesAreValidatedAndARelayRouteNeedsARelay) {
  EXPECT_EQ(LoadConfig(WriteTemp("r1", "delivery { mode: DIRECT sender_routes { mode: RELAY } }"), {})
                .status().message(),
            "delivery.sender_routes[0].sender_domain: required");
  EXPECT_EQ(LoadConfig(WriteTemp("r2", "delivery { mode: DIRECT sender_routes { sender_domain: \"a.example\" mode: RELAY } }"), {})
                .status().message(),
            "delivery.relay.host: required in RELAY mode");
  EXPECT_TRUE(LoadConfig(WriteTemp("r3", "delivery { mode: DIRECT relay { host: \"r\" } sender_routes { sender_domain: \"a.example\" mode: RELAY } }"), {})
                  .ok());
}

TEST(ConfigTest, UnknownKirimVariablesAreNamed) {
  const std::map<std::string, std::string> env = {
      {"KIRIM_REDIS_HOST", "redis"},     {"KIRIM_REDIS_HOTS", "typo"},
      {"KIRIM_ADMIN_KEY", "secret"},     {"KIRIM_API_KEY", "kirimctl's"},
      {"KIRIM_RELAY_PASWORD_FILE", "x"}, {"PATH", "/usr/bin"}};
  EXPECT_EQ(UnknownEnvironment(env),
            (std::vector<std::string>{"KIRIM_REDIS_HOTS", "KIRIM_RELAY_PASWORD_FILE"}));
  EXPECT_TRUE(UnknownEnvironment({{"KIRIM_ROLE", "api"}}).empty());
}

// What `kirimd --check_config` prints is a config that loads back to itself (found by
// tests/fuzz:config: a negative jitter, "none", became 0, which reads as unset and came back
// as the 0.2 default).
TEST(ConfigTest, EffectiveConfigLoadsBackUnchanged) {
  auto c = LoadConfig(WriteTemp("j1", "delivery { retry { jitter: -1 } }"), {});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_LT(c->delivery().retry().jitter(), 0);
  std::string effective;
  ASSERT_TRUE(google::protobuf::TextFormat::PrintToString(*c, &effective));
  auto again = LoadConfig(WriteTemp("j2", effective), {});
  ASSERT_TRUE(again.ok()) << again.status();
  std::string reloaded;
  ASSERT_TRUE(google::protobuf::TextFormat::PrintToString(*again, &reloaded));
  EXPECT_EQ(reloaded, effective);
}

// Config strings are UTF-8 whichever way they come (found by tests/fuzz:config: the text
// parser took "\377", which the JSON parser refuses and protobuf logs when serializing).
TEST(ConfigTest, StringsMustBeUtf8) {
  EXPECT_EQ(ParseConfig("delivery { relay { host: \"smtp\\377.example\" } }", "text").status().message(),
            "config: delivery.relay.host: not valid UTF-8");
  EXPECT_EQ(ParseConfig("domains { spf_ips: \"192.0.2.1\" spf_ips: \"\xff\" }", "text").status().message(),
            "config: domains.spf_ips[1]: not valid UTF-8");
  EXPECT_TRUE(ParseConfig("hostname: \"mx.b\xc3\xbc" "cher.de\"", "text").ok());  // bücher
  EXPECT_EQ(LoadConfig("", {{"KIRIM_HOSTNAME", "mx\xff"}}).status().message(),
            "KIRIM_HOSTNAME: not valid UTF-8");
}

TEST(ConfigTest, SecretsComeFromFileOrEnvironment) {
  std::string file = WriteTemp("pw", "s3cret\n");
  EXPECT_EQ(*ReadSecret(file, "KIRIM_RELAY_PASSWORD", {}), "s3cret");
  EXPECT_EQ(*ReadSecret("", "KIRIM_RELAY_PASSWORD", {{"KIRIM_RELAY_PASSWORD", "envpw"}}), "envpw");
  EXPECT_EQ(ReadSecret("", "KIRIM_RELAY_PASSWORD", {}).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace kirim
