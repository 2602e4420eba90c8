// End to end over TLS: a real redis-server and a real kirimd whose gRPC port serves TLS, or
// mTLS, with certificates from a throwaway PKI that the openssl CLI makes for each test. Covers
// who may connect (trusted server certificate, client certificates from the right CA), that the
// TLS port refuses plaintext, and that kirimd refuses to start on an unsafe TLS configuration.
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_util.h"
#include "tests/harness/kirimd_process.h"
#include "tests/harness/redis_server.h"
#include "tests/harness/smtp_peer.h"
#include "tests/harness/subprocess.h"

namespace kirim {
namespace {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;
using testing::KirimdProcess;
using testing::RedisServer;
using testing::Subprocess;

// A key and certificate, as PEM files.
struct Identity {
  std::string cert_file;
  std::string key_file;
};

// A throwaway PKI: `ca` signs the server's certificate and the trusted client's; `other_ca` is
// unrelated to kirimd and signs `other_client`.
struct Pki {
  Identity ca, server, client, other_ca, other_client;
};

absl::Status Openssl(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"/usr/bin/openssl"};
  argv.insert(argv.end(), args.begin(), args.end());
  Subprocess openssl;
  if (absl::Status s = openssl.Start(argv); !s.ok()) return s;
  int code = testing::ExitCode(openssl.Wait(absl::Seconds(60)));
  if (code != 0) {
    return absl::InternalError(absl::StrCat("openssl ", args.at(0), " exited ", code, ":\n",
                                            absl::StrJoin(openssl.Lines(), "\n")));
  }
  return absl::OkStatus();
}

// P-256 keys: quick to generate, so every test gets its own PKI.
const std::vector<std::string> kNewKey = {"-newkey", "ec", "-pkeyopt",
                                          "ec_paramgen_curve:prime256v1", "-nodes"};

absl::StatusOr<Identity> MakeCa(const std::string& dir, const std::string& name) {
  Identity ca{dir + "/" + name + ".pem", dir + "/" + name + ".key"};
  std::vector<std::string> args = {"req", "-x509"};
  args.insert(args.end(), kNewKey.begin(), kNewKey.end());
  args.insert(args.end(), {"-days", "2", "-subj", "/CN=" + name, "-addext",
                           "basicConstraints=critical,CA:TRUE", "-addext",
                           "keyUsage=critical,keyCertSign,cRLSign", "-keyout", ca.key_file,
                           "-out", ca.cert_file});
  if (absl::Status s = Openssl(args); !s.ok()) return s;
  return ca;
}

// A leaf certificate for `name` signed by `ca`, with the X.509v3 `extensions` (config lines).
absl::StatusOr<Identity> Issue(const std::string& dir, const std::string& name,
                               const Identity& ca, int serial,
                               const std::vector<std::string>& extensions) {
  Identity leaf{dir + "/" + name + ".pem", dir + "/" + name + ".key"};
  const std::string csr = dir + "/" + name + ".csr";
  const std::string ext = dir + "/" + name + ".ext";
  std::ofstream(ext) << absl::StrJoin(extensions, "\n") << "\n";
  std::vector<std::string> req = {"req", "-new"};
  req.insert(req.end(), kNewKey.begin(), kNewKey.end());
  req.insert(req.end(), {"-subj", "/CN=" + name, "-keyout", leaf.key_file, "-out", csr});
  if (absl::Status s = Openssl(req); !s.ok()) return s;
  if (absl::Status s = Openssl({"x509", "-req", "-in", csr, "-CA", ca.cert_file, "-CAkey",
                                ca.key_file, "-set_serial", std::to_string(serial), "-days", "2",
                                "-extfile", ext, "-out", leaf.cert_file});
      !s.ok()) {
    return s;
  }
  return leaf;
}

absl::StatusOr<Pki> MakePki(const std::string& dir) {
  const std::vector<std::string> client_ext = {"basicConstraints=critical,CA:FALSE",
                                               "extendedKeyUsage=clientAuth"};
  Pki pki;
  absl::StatusOr<Identity> id = MakeCa(dir, "ca");
  if (!id.ok()) return id.status();
  pki.ca = *id;
  id = Issue(dir, "server", pki.ca, 1,
             {"basicConstraints=critical,CA:FALSE", "extendedKeyUsage=serverAuth",
              "subjectAltName=DNS:localhost,IP:127.0.0.1"});
  if (!id.ok()) return id.status();
  pki.server = *id;
  id = Issue(dir, "client", pki.ca, 2, client_ext);
  if (!id.ok()) return id.status();
  pki.client = *id;
  id = MakeCa(dir, "other-ca");
  if (!id.ok()) return id.status();
  pki.other_ca = *id;
  id = Issue(dir, "other-client", pki.other_ca, 3, client_ext);
  if (!id.ok()) return id.status();
  pki.other_client = *id;
  return pki;
}

class PkiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("tls-pki");
    ASSERT_FALSE(dir_.empty());
    absl::StatusOr<Pki> pki = MakePki(dir_);
    ASSERT_TRUE(pki.ok()) << pki.status();
    pki_ = *pki;
  }

  // The `tls { ... }` block serving the PKI's server certificate, plus `more` fields.
  std::string TlsBlock(const std::string& more = "") const {
    return absl::StrCat("tls { cert_file: \"", pki_.server.cert_file, "\" key_file: \"",
                        pki_.server.key_file, "\" ", more, "}\n");
  }

  std::string dir_;
  Pki pki_;
};

// kirimd in sandbox mode with a TLS port; subclasses pick the tls block.
class TlsE2eTest : public PkiTest {
 protected:
  void StartKirimd(const std::string& tls_block) {
    ASSERT_TRUE(redis_.Start().ok());
    sandbox_ = testing::MakeTempDir("sandbox");
    absl::Status s = kirimd_.Start(absl::StrCat(
        "redis { port: ", redis_.port(), " }\n",
        "delivery { mode: SANDBOX sandbox_dir: \"", sandbox_, "\" poll_interval_ms: 200 }\n",
        tls_block));
    ASSERT_TRUE(s.ok()) << s;
  }

  // A channel of its own (no subchannel shared with another test channel), so each one makes
  // its own handshake with its own credentials.
  std::shared_ptr<grpc::Channel> Channel(std::shared_ptr<grpc::ChannelCredentials> creds) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    return grpc::CreateCustomChannel(kirimd_.address(), std::move(creds), args);
  }

  // TLS trusting the PKI's CA, presenting `client` when given.
  std::shared_ptr<grpc::Channel> TrustingChannel(const Identity* client = nullptr) {
    grpc::SslCredentialsOptions o;
    o.pem_root_certs = testing::ReadFileToString(pki_.ca.cert_file);
    if (client != nullptr) {
      o.pem_cert_chain = testing::ReadFileToString(client->cert_file);
      o.pem_private_key = testing::ReadFileToString(client->key_file);
    }
    return Channel(grpc::SslCredentials(o));
  }

  static v1::SendEmailRequest Request() {
    v1::SendEmailRequest r;
    r.set_from("Toko Kirim <toko@example.com>");
    r.add_to("ana@example.net");
    r.set_subject("Lewat TLS");
    r.set_text_body("Halo Ana.\n");
    return r;
  }

  grpc::Status Send(const std::shared_ptr<grpc::Channel>& channel, v1::SendEmailResponse* resp) {
    grpc::ClientContext ctx;
    kirimd_.Authorize(&ctx);  // also a 10 s deadline, so a failed handshake ends the call
    return v1::MailService::NewStub(channel)->SendEmail(&ctx, Request(), resp);
  }

  RedisServer redis_;
  KirimdProcess kirimd_;
  std::string sandbox_;
};

class ServerTlsE2eTest : public TlsE2eTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(PkiTest::SetUp());
    ASSERT_NO_FATAL_FAILURE(StartKirimd(TlsBlock()));
  }
};

TEST_F(ServerTlsE2eTest, ClientTrustingTheCaSendsAndGetsTheMessage) {
  auto channel = TrustingChannel();
  v1::SendEmailResponse resp;
  grpc::Status s = Send(channel, &resp);
  ASSERT_TRUE(s.ok()) << s.error_code() << ": " << s.error_message();
  ASSERT_TRUE(kirimd_.WaitForEvent("delivered", resp.id()).ok());

  grpc::ClientContext ctx;
  kirimd_.Authorize(&ctx);
  v1::GetMessageRequest get;
  get.set_name(resp.name());
  v1::Message m;
  grpc::Status g = v1::MailService::NewStub(channel)->GetMessage(&ctx, get, &m);
  ASSERT_TRUE(g.ok()) << g.error_code() << ": " << g.error_message();
  EXPECT_EQ(m.state(), v1::DELIVERED);
  EXPECT_TRUE(absl::StrContains(
      testing::ReadFileToString(absl::StrCat(sandbox_, "/", resp.id(), ".eml")),
      "Subject: Lewat TLS\r\n"));
}

TEST_F(ServerTlsE2eTest, ClientWithDefaultRootsFailsTheHandshake) {
  v1::SendEmailResponse resp;
  grpc::Status s = Send(Channel(grpc::SslCredentials(grpc::SslCredentialsOptions())), &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  EXPECT_TRUE(resp.id().empty());
}

TEST_F(ServerTlsE2eTest, PlaintextClientIsRefused) {
  v1::SendEmailResponse resp;
  grpc::Status s = Send(Channel(grpc::InsecureChannelCredentials()), &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  EXPECT_TRUE(resp.id().empty());
}

TEST_F(ServerTlsE2eTest, HealthAnswersOverTlsWithoutAKey) {
  auto health = grpc::health::v1::Health::NewStub(TrustingChannel());
  grpc::ClientContext ctx;
  testing::SetDeadline(&ctx);
  HealthCheckResponse resp;
  grpc::Status s = health->Check(&ctx, HealthCheckRequest(), &resp);
  EXPECT_TRUE(s.ok()) << s.error_code() << ": " << s.error_message();
  // Only the key is missing: the API itself is there and says so.
  grpc::ClientContext no_key;
  testing::SetDeadline(&no_key);
  v1::SendEmailResponse send;
  grpc::Status refused =
      v1::MailService::NewStub(TrustingChannel())->SendEmail(&no_key, Request(), &send);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAUTHENTICATED) << refused.error_message();
}

class MtlsE2eTest : public TlsE2eTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(PkiTest::SetUp());
    ASSERT_NO_FATAL_FAILURE(StartKirimd(TlsBlock(absl::StrCat(
        "client_ca_file: \"", pki_.ca.cert_file, "\" require_client_cert: true "))));
  }
};

TEST_F(MtlsE2eTest, ClientWithACertFromTheClientCaSucceeds) {
  v1::SendEmailResponse resp;
  grpc::Status s = Send(TrustingChannel(&pki_.client), &resp);
  ASSERT_TRUE(s.ok()) << s.error_code() << ": " << s.error_message();
  EXPECT_TRUE(kirimd_.WaitForEvent("delivered", resp.id()).ok());
}

TEST_F(MtlsE2eTest, ClientWithoutACertIsRefused) {
  v1::SendEmailResponse resp;
  grpc::Status s = Send(TrustingChannel(), &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  EXPECT_TRUE(resp.id().empty());
}

TEST_F(MtlsE2eTest, ClientWithACertFromAnotherCaIsRefused) {
  v1::SendEmailResponse resp;
  grpc::Status s = Send(TrustingChannel(&pki_.other_client), &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  EXPECT_TRUE(resp.id().empty());
}

// kirimd on a config file written here (KirimdProcess would set listen_address itself).
class TlsConfigE2eTest : public PkiTest {
 protected:
  // Runs kirimd on `config_text`; returns its exit code and puts what it printed in `output`.
  int RunKirimd(const std::string& config_text, const std::vector<std::string>& flags,
                std::string* output) {
    const std::string path = absl::StrCat(dir_, "/kirim-", runs_++, ".textproto");
    std::ofstream(path) << config_text << "\n";
    std::vector<std::string> argv = {KirimdProcess::Binary("server/kirimd/kirimd"),
                                     "--config=" + path};
    argv.insert(argv.end(), flags.begin(), flags.end());
    Subprocess kirimd;
    if (!kirimd.Start(argv).ok()) return -1;
    int code = testing::ExitCode(kirimd.Wait(absl::Seconds(30)));
    *output = absl::StrJoin(kirimd.Lines(), "\n");
    return code;
  }

  int runs_ = 0;
};

TEST_F(TlsConfigE2eTest, RequireClientCertWithoutClientCaRefusesToStart) {
  const std::string listen = "listen_address: \"127.0.0.1:0\"\n";
  std::string out;
  EXPECT_EQ(RunKirimd(listen + TlsBlock("require_client_cert: true "), {}, &out), 2) << out;
  EXPECT_TRUE(absl::StrContains(
      out, "invalid configuration: tls.require_client_cert: needs tls.client_ca_file"))
      << out;

  // The same with the CA named is accepted.
  const std::string with_ca = TlsBlock(absl::StrCat(
      "client_ca_file: \"", pki_.ca.cert_file, "\" require_client_cert: true "));
  EXPECT_EQ(RunKirimd(listen + with_ca, {"--check_config"}, &out), 0) << out;
}

TEST_F(TlsConfigE2eTest, PlaintextOnAWildcardAddressRefusesToStart) {
  const std::string listen = "listen_address: \"0.0.0.0:0\"\n";
  std::string out;
  EXPECT_EQ(RunKirimd(listen, {}, &out), 2) << out;
  EXPECT_TRUE(absl::StrContains(out, "invalid configuration: listen_address: plaintext")) << out;
  EXPECT_TRUE(absl::StrContains(out, "allow_plaintext")) << out;

  // Either fix named in the message is accepted.
  EXPECT_EQ(RunKirimd(listen + "allow_plaintext: true", {"--check_config"}, &out), 0) << out;
  EXPECT_EQ(RunKirimd(listen + TlsBlock(), {"--check_config"}, &out), 0) << out;
}

}  // namespace
}  // namespace kirim
