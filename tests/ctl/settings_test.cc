// Settings precedence (flag > environment > config file > default), the config file's format
// and its errors (each naming file:line), and where the config file is looked for.
#include "client/ctl/settings.h"

#include <fstream>
#include <map>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kirim::ctl {
namespace {

using ::testing::HasSubstr;

EnvLookup Env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

absl::StatusOr<Settings> Resolve(const SettingsLayer& flags, std::map<std::string, std::string> env,
                                 const std::string& config_text) {
  const ConfigFile config{"/etc/kirim/kirimctl.conf", config_text};
  return ResolveSettings(flags, Env(std::move(env)), &config);
}

std::string ErrorOf(const absl::StatusOr<Settings>& s) {
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(s.status().message());
}

TEST(SettingsTest, DefaultsWhenNothingIsGiven) {
  absl::StatusOr<Settings> s = ResolveSettings({}, Env({}), nullptr);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->address, "127.0.0.1:50051");
  EXPECT_EQ(s->api_key, "");
  EXPECT_EQ(s->api_key_file, "");
  EXPECT_FALSE(s->tls);
  EXPECT_EQ(s->timeout, absl::Seconds(10));
  EXPECT_EQ(s->output, OutputFormat::kTable);
}

TEST(SettingsTest, AFlagBeatsTheEnvironmentWhichBeatsTheConfigFile) {
  const std::string config = "address = file:1\ntls = true\nserver_name = file.test\ntimeout = 30s\n";
  SettingsLayer flags;
  flags.address = "flag:1";
  absl::StatusOr<Settings> s =
      Resolve(flags, {{"KIRIM_ADDRESS", "env:1"}, {"KIRIM_SERVER_NAME", "env.test"}}, config);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->address, "flag:1");
  EXPECT_EQ(s->server_name, "env.test");
  EXPECT_TRUE(s->tls);  // only the file says
  EXPECT_EQ(s->timeout, absl::Seconds(30));

  s = Resolve({}, {{"KIRIM_ADDRESS", "env:1"}, {"KIRIM_TLS", "false"}}, config);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->address, "env:1");
  EXPECT_FALSE(s->tls);  // the environment's false beats the file's true

  s = Resolve({}, {}, config);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->address, "file:1");

  SettingsLayer flags_off;
  flags_off.tls = false;
  flags_off.timeout = absl::Seconds(2);
  flags_off.output = OutputFormat::kJson;
  s = Resolve(flags_off, {{"KIRIM_TLS", "true"}}, config + "output = table\n");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_FALSE(s->tls);
  EXPECT_EQ(s->timeout, absl::Seconds(2));
  EXPECT_EQ(s->output, OutputFormat::kJson);
}

TEST(SettingsTest, TheKeyAndTheKeyFileAreOneSettingDecidedByTheFirstLayerThatGivesEither) {
  const std::string config = "api_key_file = /etc/kirim/key\n";
  // $KIRIM_API_KEY beats the file's key file.
  absl::StatusOr<Settings> s = Resolve({}, {{"KIRIM_API_KEY", "kirim_secret"}}, config);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->api_key, "kirim_secret");
  EXPECT_EQ(s->api_key_file, "");
  // A key file flag beats $KIRIM_API_KEY.
  SettingsLayer flags;
  flags.api_key_file = "/run/flag.key";
  s = Resolve(flags, {{"KIRIM_API_KEY", "kirim_secret"}}, config);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->api_key, "");
  EXPECT_EQ(s->api_key_file, "/run/flag.key");
  // $KIRIM_API_KEY_FILE beats the config file; $KIRIM_API_KEY beats $KIRIM_API_KEY_FILE.
  s = Resolve({}, {{"KIRIM_API_KEY_FILE", "/run/env.key"}}, config);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->api_key_file, "/run/env.key");
  s = Resolve({}, {{"KIRIM_API_KEY_FILE", "/run/env.key"}, {"KIRIM_API_KEY", "k"}}, config);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->api_key, "k");
  EXPECT_EQ(s->api_key_file, "");
  // Only the file.
  s = Resolve({}, {}, config);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->api_key_file, "/etc/kirim/key");
}

TEST(SettingsTest, TheConfigFileTakesCommentsQuotesAndPathsRelativeToItself) {
  const std::string config =
      "# kirimctl for staging\n"
      "\n"
      "  address   =  \"kirim.staging:50051\"  \n"
      "api_key_file = keys/ci.key\r\n"
      "ca_file = /etc/ssl/kirim-ca.pem\n"
      "cert_file = client.pem\n"
      "key_file = client-key.pem\n"
      "tls = yes\n"
      "timeout = 1m30s\n"
      "output = text\n";
  absl::StatusOr<Settings> s = Resolve({}, {}, config);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->address, "kirim.staging:50051");
  EXPECT_EQ(s->api_key_file, "/etc/kirim/keys/ci.key");
  EXPECT_EQ(s->ca_file, "/etc/ssl/kirim-ca.pem");
  EXPECT_EQ(s->cert_file, "/etc/kirim/client.pem");
  EXPECT_EQ(s->key_file, "/etc/kirim/client-key.pem");
  EXPECT_TRUE(s->tls);
  EXPECT_EQ(s->timeout, absl::Seconds(90));
  EXPECT_EQ(s->output, OutputFormat::kTable);
}

TEST(SettingsTest, ConfigErrorsNameTheFileAndLine) {
  const std::string f = "/etc/kirim/kirimctl.conf";
  EXPECT_EQ(ErrorOf(Resolve({}, {}, "address = a:1\n# fine\nverbose = true\n")),
            f + ":3: unknown key \"verbose\" (known: address, api_key_file, tls, ca_file, "
                "cert_file, key_file, server_name, timeout, output)");
  EXPECT_THAT(ErrorOf(Resolve({}, {}, "\napi_key = kirim_secret\n")),
              HasSubstr(f + ":2: api_key is not accepted in a config file"));
  EXPECT_EQ(ErrorOf(Resolve({}, {}, "timeout = soon\n")),
            f + ":1: timeout: \"soon\" is not a positive duration such as 10s or 1m30s");
  EXPECT_THAT(ErrorOf(Resolve({}, {}, "timeout = -5s\n")), HasSubstr(f + ":1: timeout:"));
  EXPECT_EQ(ErrorOf(Resolve({}, {}, "tls = maybe\n")),
            f + ":1: tls: \"maybe\" is not true or false");
  EXPECT_EQ(ErrorOf(Resolve({}, {}, "output = yaml\n")),
            f + ":1: output: \"yaml\" is not one of table, json, zone");
  EXPECT_EQ(ErrorOf(Resolve({}, {}, "address\n")), f + ":1: expected `key = value`");
  EXPECT_EQ(ErrorOf(Resolve({}, {}, "address = a:1\naddress = b:1\n")),
            f + ":2: address is set twice (first on line 1)");
  EXPECT_EQ(ErrorOf(Resolve({}, {}, "ca_file =\n")), f + ":1: ca_file: no value");
}

TEST(SettingsTest, AConfigErrorCountsEvenWhenAFlagWouldOverrideIt) {
  SettingsLayer flags;
  flags.timeout = absl::Seconds(1);
  EXPECT_THAT(ErrorOf(Resolve(flags, {}, "timeout = never\n")), HasSubstr(":1: timeout:"));
}

TEST(SettingsTest, EnvironmentErrorsNameTheVariable) {
  EXPECT_EQ(ErrorOf(Resolve({}, {{"KIRIM_TLS", "sometimes"}}, "")),
            "KIRIM_TLS: \"sometimes\" is not true or false");
}

TEST(SettingsTest, ACertificateNeedsItsKey) {
  EXPECT_THAT(ErrorOf(Resolve({}, {{"KIRIM_CERT_FILE", "/c.pem"}}, "")),
              HasSubstr("cert_file and key_file"));
  absl::StatusOr<Settings> s = Resolve({}, {{"KIRIM_CERT_FILE", "/c.pem"}}, "key_file = /k.pem\n");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->cert_file, "/c.pem");
  EXPECT_EQ(s->key_file, "/k.pem");
}

TEST(SettingsTest, TheConfigFileIsTheFlagElseKirimConfigElseTheXdgDefault) {
  SettingsLayer flags;
  flags.config = "/flag.conf";
  ConfigLocation at = LocateConfig(flags, Env({{"KIRIM_CONFIG", "/env.conf"}}));
  EXPECT_EQ(at.path, "/flag.conf");
  EXPECT_TRUE(at.required);
  at = LocateConfig({}, Env({{"KIRIM_CONFIG", "/env.conf"}, {"XDG_CONFIG_HOME", "/x"}}));
  EXPECT_EQ(at.path, "/env.conf");
  EXPECT_TRUE(at.required);
  at = LocateConfig({}, Env({{"XDG_CONFIG_HOME", "/x"}, {"HOME", "/home/ana"}}));
  EXPECT_EQ(at.path, "/x/kirim/kirimctl.conf");
  EXPECT_FALSE(at.required);
  at = LocateConfig({}, Env({{"HOME", "/home/ana"}}));
  EXPECT_EQ(at.path, "/home/ana/.config/kirim/kirimctl.conf");
  EXPECT_FALSE(at.required);
  EXPECT_EQ(LocateConfig({}, Env({})).path, "");
}

TEST(SettingsTest, AMissingDefaultFileIsFineAMissingNamedOneIsAnError) {
  const std::string dir = std::getenv("TEST_TMPDIR") ? std::getenv("TEST_TMPDIR") : "/tmp";
  absl::StatusOr<Settings> s = LoadSettings({}, Env({{"XDG_CONFIG_HOME", dir + "/nowhere"}}));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->address, "127.0.0.1:50051");

  s = LoadSettings({}, Env({{"KIRIM_CONFIG", dir + "/missing.conf"}}));
  EXPECT_THAT(ErrorOf(s), HasSubstr("config file: cannot read " + dir + "/missing.conf"));

  std::ofstream(dir + "/kirim-test.conf") << "address = from-file:7\n";
  SettingsLayer flags;
  flags.config = dir + "/kirim-test.conf";
  s = LoadSettings(flags, Env({}));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->address, "from-file:7");
}

}  // namespace
}  // namespace kirim::ctl
