// kirimctl end to end: the real binary (a data dependency) against a real kirimd, redis-server
// and SMTP server (tests/peers/smtp_server.py), all on 127.0.0.1. kirimctl's stdout is read by
// the harness and its stderr goes to a file, so JSON output is parsed exactly as a script would
// get it. Nothing sleeps: the test waits on kirimd's JSON log ("watch_started", "held_paused",
// "delivered"...), on the SMTP server's output and on kirimctl's own output ("TIME" once a
// table watch is streaming). A message is held with --send_at an hour ahead, or by a pause, so
// that a watch surely starts while the message is still in flight.
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "kirim/v1/admin_service.pb.h"
#include "kirim/v1/domain_service.pb.h"
#include "kirim/v1/mail_service.pb.h"
#include "tests/harness/kirimd_process.h"
#include "tests/harness/redis_server.h"
#include "tests/harness/smtp_peer.h"
#include "tests/harness/subprocess.h"

namespace kirim {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using testing::KirimdProcess;
using testing::SmtpPeer;
using testing::SmtpPeerOptions;

constexpr char kSomeId[] = "01KB5Z3Q8R6W9ZP0J4T2YV3N1M";

// What one kirimctl run printed and how it ended.
struct Ctl {
  int exit = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

template <typename T>
T ParseJson(const std::string& json) {
  T message;
  const auto status = google::protobuf::util::JsonStringToMessage(json, &message);
  EXPECT_TRUE(status.ok()) << status.ToString() << "\n" << json;
  return message;
}

std::string WriteFile(const std::string& path, const std::string& content) {
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

// Runs kirimctl. Each run gets an empty $XDG_CONFIG_HOME (no config file unless the test
// writes one), $KIRIM_API_KEY unless `env` overrides it (an empty value counts as unset), and
// --address of the test's kirimd unless `with_address` is false.
class KirimctlRunner {
 public:
  KirimctlRunner() : dir_(testing::MakeTempDir("kirimctl")) {}

  void set_address(const std::string& address) { address_ = address; }
  void set_api_key(const std::string& key) { api_key_ = key; }
  const std::string& dir() const { return dir_; }

  // Starts kirimctl; its stderr goes to a file (Finish reads it).
  std::unique_ptr<testing::Subprocess> Start(std::vector<std::string> args,
                                             std::map<std::string, std::string> env = {},
                                             bool with_address = true) {
    if (with_address && !address_.empty()) args.insert(args.begin(), "--address=" + address_);
    const std::string err = absl::StrCat(dir_, "/stderr-", ++runs_);
    std::vector<std::string> argv = {"/bin/sh", "-c", "exec \"$0\" \"$@\" 2>\"$KIRIMCTL_TEST_ERR\"",
                                     testing::Runfile("client/kirimctl")};
    argv.insert(argv.end(), args.begin(), args.end());
    std::map<std::string, std::string> full = {{"XDG_CONFIG_HOME", dir_ + "/empty-config"},
                                               {"KIRIM_API_KEY", api_key_},
                                               {"KIRIMCTL_TEST_ERR", err}};
    for (auto& [k, v] : env) full[k] = v;
    auto p = std::make_unique<testing::Subprocess>();
    absl::Status started = p->Start(argv, full);
    EXPECT_TRUE(started.ok()) << started;
    err_paths_[p.get()] = err;
    return p;
  }

  Ctl Finish(testing::Subprocess& p) {
    Ctl r;
    r.exit = testing::ExitCode(p.Wait(absl::Seconds(60)));
    const std::vector<std::string> lines = p.Lines();
    r.out = lines.empty() ? "" : absl::StrCat(absl::StrJoin(lines, "\n"), "\n");
    r.err = testing::ReadFileToString(err_paths_[&p]);
    err_paths_.erase(&p);
    return r;
  }

  Ctl Run(std::vector<std::string> args, std::map<std::string, std::string> env = {},
          bool with_address = true) {
    std::unique_ptr<testing::Subprocess> p = Start(std::move(args), std::move(env), with_address);
    return Finish(*p);
  }

 private:
  std::string dir_;
  std::string address_;
  std::string api_key_;
  int runs_ = 0;
  std::map<testing::Subprocess*, std::string> err_paths_;
};

// "exit 3, stdout ..., stderr ..." for failure messages.
std::string Describe(const Ctl& r) {
  return absl::StrCat("exit ", r.exit, "\n--- stdout\n", r.out, "--- stderr\n", r.err);
}

class KirimctlE2eTest : public ::testing::Test {
 protected:
  void Start(const SmtpPeerOptions& peer = {}) {
    ASSERT_TRUE(redis_.Start().ok());
    ASSERT_TRUE(peer_.Start(peer).ok());
    // Retries an hour apart: a deferred message waits for `queue retry`, never for a timer.
    absl::Status s = kirimd_.Start(absl::StrCat(
        "redis { port: ", redis_.port(), " }\n",
        "delivery {\n  mode: RELAY poll_interval_ms: 100\n",
        "  relay { host: \"127.0.0.1\" port: ", peer_.port(), " tls: NONE }\n",
        "  retry { first_retry_ms: 3600000 factor: 1 max_delay_ms: 3600000 max_age_ms: 86400000 "
        "jitter: -1 }\n}\n"));
    ASSERT_TRUE(s.ok()) << s;
    ctl_.set_address(kirimd_.address());
    ctl_.set_api_key(kirimd_.admin_key());
  }

  // `kirimctl send` to `to` (more flags in `extra`); returns the id.
  std::string Send(const std::string& to, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"send", "--from=shop@example.com", "--to=" + to,
                                     "--subject=Hello", "--text=Hi there", "--output=json"};
    args.insert(args.end(), extra.begin(), extra.end());
    Ctl r = ctl_.Run(args);
    EXPECT_EQ(r.exit, 0) << Describe(r);
    const std::string id = ParseJson<v1::SendEmailResponse>(r.out).id();
    EXPECT_EQ(id.size(), 26u) << Describe(r);
    return id;
  }

  // A table-output `watch <id>` that is already streaming when this returns.
  std::unique_ptr<testing::Subprocess> StartWatch(const std::string& id) {
    std::unique_ptr<testing::Subprocess> watch = ctl_.Start({"watch", id});
    absl::StatusOr<std::string> header = watch->WaitForOutput("TIME", absl::Seconds(30));
    EXPECT_TRUE(header.ok()) << header.status() << "\n" << absl::StrJoin(watch->Lines(), "\n");
    return watch;
  }

  testing::RedisServer redis_;
  SmtpPeer peer_;
  KirimdProcess kirimd_;
  KirimctlRunner ctl_;
};

TEST_F(KirimctlE2eTest, SendWithAnAttachmentThenWatchUntilDelivered) {
  Start();
  const std::string pdf = "%PDF-1.4\nkirimctl attachment test\n";
  const std::string path = WriteFile(ctl_.dir() + "/report.pdf", pdf);
  const std::string id = Send("ana@dest.test", {"--attach=" + path, "--send_at=+1h"});

  std::unique_ptr<testing::Subprocess> watch = StartWatch(id);
  Ctl retry = ctl_.Run({"queue", "retry", id});
  EXPECT_EQ(retry.exit, 0) << Describe(retry);
  EXPECT_EQ(retry.out, "retried 1\n");

  Ctl watched = ctl_.Finish(*watch);
  EXPECT_EQ(watched.exit, 0) << Describe(watched);
  EXPECT_THAT(watched.out, StartsWith("TIME "));
  EXPECT_THAT(watched.out, HasSubstr(absl::StrCat("  DELIVERED   ", id, "  ana@dest.test")));
  EXPECT_EQ(watched.err, absl::StrCat("message ", id, " DELIVERED\n"));

  absl::StatusOr<testing::ReceivedMessage> received = peer_.WaitForMessage();
  ASSERT_TRUE(received.ok()) << received.status();
  EXPECT_THAT(received->content, HasSubstr("Content-Type: application/pdf"));
  EXPECT_THAT(received->content, HasSubstr("filename=\"report.pdf\""));
  EXPECT_THAT(received->content, HasSubstr(absl::Base64Escape(pdf)));
}

TEST_F(KirimctlE2eTest, WatchOfAnAlreadyDeliveredMessageEndsAtOnce) {
  Start();
  const std::string id = Send("ana@dest.test");
  ASSERT_TRUE(kirimd_.WaitForEvent("delivered", id).ok());
  Ctl watched = ctl_.Run({"watch", id});
  EXPECT_EQ(watched.exit, 0) << Describe(watched);
  EXPECT_EQ(watched.err, absl::StrCat("message ", id, " DELIVERED\n"));
  Ctl json = ctl_.Run({"watch", "messages/" + id, "--output=json"});
  EXPECT_EQ(json.exit, 0) << Describe(json);
  EXPECT_EQ(json.out, "");  // its events happened before the watch

  Ctl got = ctl_.Run({"get", id, "--output=json"});
  ASSERT_EQ(got.exit, 0) << Describe(got);
  const v1::Message m = ParseJson<v1::Message>(got.out);
  EXPECT_EQ(m.state(), v1::DELIVERED);
  EXPECT_EQ(m.id(), id);
}

TEST_F(KirimctlE2eTest, WatchOfARecipientThePeerRejectsExitsSix) {
  Start({.reply_rcpt = {"nobody@dest.test=550 5.1.1 No such user here"}});
  const std::string id = Send("nobody@dest.test", {"--send_at=+1h"});
  // JSON: no header to wait for, so wait for kirimd to have opened the stream.
  const size_t from = kirimd_.process().LineCount();
  std::unique_ptr<testing::Subprocess> watch = ctl_.Start({"watch", id, "--output=json"});
  ASSERT_TRUE(kirimd_.WaitForEvent("watch_started", "", absl::Seconds(30), from).ok());
  Ctl retry = ctl_.Run({"queue", "retry", "messages/" + id});
  EXPECT_EQ(retry.exit, 0) << Describe(retry);

  Ctl watched = ctl_.Finish(*watch);
  EXPECT_EQ(watched.exit, 6) << Describe(watched);
  EXPECT_EQ(watched.err, absl::StrCat("message ", id, " FAILED\n"));
  // NDJSON: one Event per line; the bounce with the peer's reply.
  std::vector<v1::Event> events;
  for (absl::string_view line : absl::StrSplit(watched.out, '\n', absl::SkipEmpty())) {
    events.push_back(ParseJson<v1::Event>(std::string(line)));
  }
  ASSERT_FALSE(events.empty()) << Describe(watched);
  EXPECT_EQ(events.back().type(), v1::Event::BOUNCED);
  EXPECT_EQ(events.back().recipient(), "nobody@dest.test");
  EXPECT_EQ(events.back().reply().code(), 550);
  EXPECT_EQ(events.back().message(), "messages/" + id);
  EXPECT_FALSE(events.back().cursor().empty());

  Ctl again = ctl_.Run({"watch", id});  // already final: at once, same answer
  EXPECT_EQ(again.exit, 6) << Describe(again);
}

TEST_F(KirimctlE2eTest, CancelAScheduledMessageThenItStaysCancelled) {
  Start();
  const std::string id = Send("ana@dest.test", {"--send_at=+1h"});
  Ctl cancel = ctl_.Run({"cancel", id});
  EXPECT_EQ(cancel.exit, 0) << Describe(cancel);
  EXPECT_THAT(cancel.out, HasSubstr("state:    CANCELLED\n"));
  EXPECT_THAT(cancel.out, HasSubstr("rcpt:     ana@dest.test  RECIPIENT_CANCELLED"));

  Ctl get = ctl_.Run({"get", id});
  EXPECT_EQ(get.exit, 0) << Describe(get);
  EXPECT_THAT(get.out, HasSubstr("state:    CANCELLED\n"));

  Ctl again = ctl_.Run({"cancel", id});
  EXPECT_EQ(again.exit, 1) << Describe(again);
  EXPECT_THAT(again.err, HasSubstr("FAILED_PRECONDITION: the message is already CANCELLED"));
  EXPECT_EQ(again.out, "");

  Ctl watched = ctl_.Run({"watch", id});
  EXPECT_EQ(watched.exit, 6) << Describe(watched);
  EXPECT_EQ(watched.err, absl::StrCat("message ", id, " CANCELLED\n"));
  EXPECT_EQ(peer_.ReceivedCount(), 0);
}

TEST_F(KirimctlE2eTest, PauseHoldsTheMailAndResumeDeliversIt) {
  Start();
  Ctl pause = ctl_.Run({"queue", "pause", "dest.test"});
  EXPECT_EQ(pause.exit, 0) << Describe(pause);
  EXPECT_EQ(pause.out, "paused dest.test\n");

  Ctl list = ctl_.Run({"queue", "list"});
  EXPECT_EQ(list.exit, 0) << Describe(list);
  const std::vector<std::string> rows = absl::StrSplit(list.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(rows.size(), 2u) << list.out;
  EXPECT_EQ(rows[0], "DESTINATION  PAUSED  WAITING");
  EXPECT_THAT(rows[1], StartsWith("dest.test    yes     "));
  Ctl json = ctl_.Run({"queue", "list", "--output=json"});
  EXPECT_EQ(json.exit, 0) << Describe(json);
  const auto listed = ParseJson<v1::ListDestinationsResponse>(json.out);
  ASSERT_EQ(listed.destinations_size(), 1);
  EXPECT_EQ(listed.destinations(0).domain(), "dest.test");
  EXPECT_TRUE(listed.destinations(0).paused());

  const size_t from = kirimd_.process().LineCount();
  const std::string id = Send("ana@dest.test");
  ASSERT_TRUE(kirimd_.WaitForEvent("held_paused", id, absl::Seconds(30), from).ok());
  Ctl held = ctl_.Run({"get", id});
  EXPECT_EQ(held.exit, 0) << Describe(held);
  EXPECT_THAT(held.out, HasSubstr("state:    DEFERRED\n"));
  EXPECT_THAT(held.out, HasSubstr("451 4.3.2 destination paused by the operator"));
  EXPECT_EQ(peer_.ReceivedCount(), 0);

  std::unique_ptr<testing::Subprocess> watch = StartWatch(id);
  Ctl resume = ctl_.Run({"queue", "resume", "dest.test"});
  EXPECT_EQ(resume.exit, 0) << Describe(resume);
  EXPECT_EQ(resume.out, "resumed dest.test\nretried 1\n");
  Ctl watched = ctl_.Finish(*watch);
  EXPECT_EQ(watched.exit, 0) << Describe(watched);
  EXPECT_TRUE(peer_.WaitForMessage().ok());

  Ctl after = ctl_.Run({"queue", "list"});
  EXPECT_EQ(after.out, "DESTINATION  PAUSED  WAITING\n");
  Ctl not_paused = ctl_.Run({"queue", "resume", "dest.test"});
  EXPECT_EQ(not_paused.exit, 1) << Describe(not_paused);
  EXPECT_THAT(not_paused.err, HasSubstr("NOT_FOUND"));
}

// A paused destination lists the mail it holds (Destination.queue.scheduled).
TEST_F(KirimctlE2eTest, QueueListShowsTheMailAPausedDestinationHolds) {
  Start();
  ASSERT_EQ(ctl_.Run({"queue", "pause", "dest.test"}).exit, 0);
  const size_t from = kirimd_.process().LineCount();
  const std::string id = Send("ana@dest.test");
  ASSERT_TRUE(kirimd_.WaitForEvent("held_paused", id, absl::Seconds(30), from).ok());
  Ctl json = ctl_.Run({"queue", "list", "--output=json"});
  ASSERT_EQ(json.exit, 0) << Describe(json);
  const auto listed = ParseJson<v1::ListDestinationsResponse>(json.out);
  ASSERT_EQ(listed.destinations_size(), 1);
  EXPECT_EQ(listed.destinations(0).queue().scheduled(), 1) << json.out;
}

TEST_F(KirimctlE2eTest, QueueRetryOfADestinationSendsItsDeferredMailNow) {
  Start({.reply_data = "451 4.3.0 Try again later", .reply_data_count = 1});
  const std::string id = Send("ana@dest.test");
  ASSERT_TRUE(kirimd_.WaitForEvent("deferred", id).ok());
  Ctl retry = ctl_.Run({"queue", "retry", "dest.test", "--output=json"});
  EXPECT_EQ(retry.exit, 0) << Describe(retry);
  EXPECT_EQ(ParseJson<v1::RetryNowResponse>(retry.out).retried_count(), 1);
  Ctl watched = ctl_.Run({"watch", id});
  EXPECT_EQ(watched.exit, 0) << Describe(watched);
  EXPECT_TRUE(peer_.WaitForMessage().ok());
  Ctl none = ctl_.Run({"queue", "retry", "dest.test", "--destination"});
  EXPECT_EQ(none.exit, 0) << Describe(none);
  EXPECT_EQ(none.out, "retried 0\n");
}

TEST_F(KirimctlE2eTest, WatchingTheWholeStreamPrintsNdjsonAndStopsAfterCount) {
  Start();
  const size_t from = kirimd_.process().LineCount();
  std::unique_ptr<testing::Subprocess> watch =
      ctl_.Start({"watch", "--types=queued,delivered", "--count=2", "--output=json"});
  ASSERT_TRUE(kirimd_.WaitForEvent("watch_started", "", absl::Seconds(30), from).ok());
  const std::string id = Send("ana@dest.test");
  Ctl watched = ctl_.Finish(*watch);
  EXPECT_EQ(watched.exit, 0) << Describe(watched);
  const std::vector<std::string> lines = absl::StrSplit(watched.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u) << Describe(watched);
  EXPECT_EQ(ParseJson<v1::Event>(lines[0]).type(), v1::Event::QUEUED);
  EXPECT_EQ(ParseJson<v1::Event>(lines[1]).type(), v1::Event::DELIVERED);
  EXPECT_EQ(ParseJson<v1::Event>(lines[1]).message(), "messages/" + id);
}

TEST_F(KirimctlE2eTest, EveryReadCommandPrintsJsonThatParses) {
  Start();
  const std::string id = Send("ana@dest.test");
  ASSERT_TRUE(kirimd_.WaitForEvent("delivered", id).ok());
  auto json = [&](std::vector<std::string> args) {
    args.push_back("--output=json");
    Ctl r = ctl_.Run(args);
    EXPECT_EQ(r.exit, 0) << Describe(r);
    return r.out;
  };
  EXPECT_EQ(ParseJson<v1::Message>(json({"get", id})).state(), v1::DELIVERED);
  const auto created = ParseJson<v1::CreateApiKeyResponse>(
      json({"keys", "create", "--display_name=ci", "--scopes=send,read"}));
  EXPECT_FALSE(created.secret().empty());
  EXPECT_GE(ParseJson<v1::ListApiKeysResponse>(json({"keys", "list"})).api_keys_size(), 1);
  EXPECT_EQ(ParseJson<v1::Suppression>(json({"suppression", "add", "bo@dest.test"})).address(),
            "bo@dest.test");
  EXPECT_EQ(ParseJson<v1::ListSuppressionsResponse>(json({"suppression", "list"})).suppressions_size(),
            1);
  ParseJson<v1::RemoveSuppressionResponse>(json({"suppression", "remove", "bo@dest.test"}));
  ParseJson<v1::ListTemplatesResponse>(json({"templates", "list"}));
  ParseJson<v1::Quota>(json({"quota"}));
  EXPECT_GE(ParseJson<v1::Metrics>(json({"metrics"})).delivered_total(), 1);
  ParseJson<v1::ListDomainsResponse>(json({"domains", "list"}));
  ParseJson<v1::ListDestinationsResponse>(json({"queue", "list"}));
  EXPECT_EQ(ParseJson<v1::PreviewEmailResponse>(
                json({"preview", "--from=shop@example.com", "--to=ana@dest.test", "--text=x"}))
                .route()
                .kind(),
            v1::Route::RELAY);
}

TEST_F(KirimctlE2eTest, SettingsComeFromAConfigFileAndAFlagOrTheEnvironmentOverridesIt) {
  Start();
  const std::string dir = testing::MakeTempDir("kirimctl-config");
  WriteFile(dir + "/admin.key", kirimd_.admin_key() + "\n");
  const std::string unreachable = absl::StrCat("127.0.0.1:", testing::FreePort());
  const std::string good = WriteFile(
      dir + "/good.conf", absl::StrCat("# the test's kirimd\naddress = ", kirimd_.address(),
                                       "\napi_key_file = admin.key\ntimeout = 20s\n"));
  const std::string elsewhere = WriteFile(
      dir + "/elsewhere.conf",
      absl::StrCat("address = ", unreachable, "\napi_key_file = admin.key\ntimeout = 2s\n"));
  const std::map<std::string, std::string> no_key = {{"KIRIM_API_KEY", ""}};

  // No flags and no key in the environment: all from the file.
  Ctl r = ctl_.Run({"--config=" + good, "queue", "list"}, no_key, /*with_address=*/false);
  EXPECT_EQ(r.exit, 0) << Describe(r);
  r = ctl_.Run({"queue", "list"}, {{"KIRIM_API_KEY", ""}, {"KIRIM_CONFIG", good}}, false);
  EXPECT_EQ(r.exit, 0) << Describe(r);
  // The default place: $XDG_CONFIG_HOME/kirim/kirimctl.conf.
  const std::string xdg = testing::MakeTempDir("xdg");
  std::filesystem::create_directories(xdg + "/kirim");
  std::filesystem::copy_file(good, xdg + "/kirim/kirimctl.conf");
  std::filesystem::copy_file(dir + "/admin.key", xdg + "/kirim/admin.key");
  r = ctl_.Run({"queue", "list"}, {{"KIRIM_API_KEY", ""}, {"XDG_CONFIG_HOME", xdg}}, false);
  EXPECT_EQ(r.exit, 0) << Describe(r);

  // The file points elsewhere: unreachable, unless a flag or the environment says otherwise.
  r = ctl_.Run({"--config=" + elsewhere, "queue", "list"}, no_key, false);
  EXPECT_EQ(r.exit, 3) << Describe(r);
  r = ctl_.Run({"--config=" + elsewhere, "--address=" + kirimd_.address(), "queue", "list"}, no_key,
               false);
  EXPECT_EQ(r.exit, 0) << Describe(r);
  r = ctl_.Run({"--config=" + elsewhere, "queue", "list"},
               {{"KIRIM_API_KEY", ""}, {"KIRIM_ADDRESS", kirimd_.address()}}, false);
  EXPECT_EQ(r.exit, 0) << Describe(r);

  // Without a key the server refuses; a key in the config file is itself refused.
  r = ctl_.Run({"queue", "list"}, no_key);
  EXPECT_EQ(r.exit, 1) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("UNAUTHENTICATED"));
  const std::string with_key =
      WriteFile(dir + "/key.conf", absl::StrCat("api_key = ", kirimd_.admin_key(), "\n"));
  r = ctl_.Run({"--config=" + with_key, "queue", "list"}, no_key);
  EXPECT_EQ(r.exit, 2) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr(with_key + ":1: api_key is not accepted in a config file"));
  EXPECT_THAT(r.err, ::testing::Not(HasSubstr(kirimd_.admin_key())));
  const std::string unknown = WriteFile(dir + "/unknown.conf", "address = x:1\n\ncolour = blue\n");
  r = ctl_.Run({"--config=" + unknown, "queue", "list"});
  EXPECT_EQ(r.exit, 2) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr(unknown + ":3: unknown key \"colour\""));
  r = ctl_.Run({"--config=" + dir + "/missing.conf", "queue", "list"});
  EXPECT_EQ(r.exit, 2) << Describe(r);
}

// No kirimd needed below: nothing is dialled, or nothing answers.
class KirimctlOfflineTest : public ::testing::Test {
 protected:
  KirimctlOfflineTest() { ctl_.set_address(absl::StrCat("127.0.0.1:", testing::FreePort())); }
  KirimctlRunner ctl_;
};

TEST_F(KirimctlOfflineTest, EveryCommandHasHelpThatNamesIt) {
  const std::vector<std::string> commands = {
      "send",      "preview", "batch",   "get",   "cancel", "watch",   "keys", "suppression",
      "templates", "quota",   "metrics", "top",   "queue",  "domains", "help"};
  Ctl all = ctl_.Run({"--help"});
  EXPECT_EQ(all.exit, 0) << Describe(all);
  EXPECT_EQ(ctl_.Run({"help"}).out, all.out);
  for (const std::string& command : commands) {
    EXPECT_THAT(all.out, HasSubstr("\n  " + command + " ")) << command;
    for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
             {command, "--help"}, {command, "-h"}, {"help", command}}) {
      Ctl r = ctl_.Run(args);
      EXPECT_EQ(r.exit, 0) << absl::StrJoin(args, " ") << "\n" << Describe(r);
      EXPECT_THAT(r.out, StartsWith("kirimctl " + command + ": ")) << absl::StrJoin(args, " ");
      EXPECT_THAT(r.out, HasSubstr("usage:\n  kirimctl " + command)) << absl::StrJoin(args, " ");
      EXPECT_EQ(r.err, "");
    }
  }
  // --help wins even over a flag that does not apply.
  Ctl send = ctl_.Run({"send", "--scopes=admin", "--help"});
  EXPECT_EQ(send.exit, 0) << Describe(send);
  EXPECT_THAT(send.out, HasSubstr("--attach"));
}

TEST_F(KirimctlOfflineTest, UsageErrorsExitTwoWithTheCommandsUsageOnStderr) {
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{}, "no command given"},
      {{"frobnicate"}, "unknown command \"frobnicate\""},
      {{"help", "frobnicate"}, "unknown command \"frobnicate\""},
      {{"get"}, "expected one message id"},
      {{"get", "a", "b"}, "expected one message id"},
      {{"cancel"}, "expected one message id"},
      {{"queue", "pause"}, "wrong arguments for queue pause"},
      {{"queue", "flush"}, "wrong arguments for queue flush"},
      {{"keys"}, "expected create, list or revoke"},
      {{"--timeout=banana", "get", kSomeId}, "--timeout: "},
      {{"--timeout=0s", "get", kSomeId}, "--timeout: must be a positive duration"},
      {{"--output=yaml", "get", kSomeId}, "--output: \"yaml\" is not one of table, json, zone"},
      {{"--output=zone", "get", kSomeId}, "--output zone applies to domains only"},
      {{"--tls=maybe", "get", kSomeId}, "--tls: "},
      {{"--bogus", "get", kSomeId}, "unknown flag --bogus"},
      {{"get", kSomeId, "--scopes=send"}, "--scopes does not apply to kirimctl get"},
      {{"send", "--to=a@x.test", "--text=x", "--send_at=tomorrow"}, "--send_at: "},
      {{"send", "--to=a@x.test", "--text=x", "--attach=/nonexistent/file.pdf"}, "--attach: "},
      {{"send", "--to=a@x.test", "--priority=urgent"}, "--priority must be"},
      {{"batch"}, "batch needs --file"},
      {{"watch", "--types=opened"}, "unknown event type \"opened\""},
      {{"--api_key_file=/nonexistent/key", "get", kSomeId}, "api_key_file: cannot read"},
  };
  for (const Case& c : cases) {
    Ctl r = ctl_.Run(c.args);
    EXPECT_EQ(r.exit, 2) << absl::StrJoin(c.args, " ") << "\n" << Describe(r);
    EXPECT_THAT(r.err, HasSubstr(c.says)) << absl::StrJoin(c.args, " ");
    EXPECT_EQ(r.out, "") << absl::StrJoin(c.args, " ");
  }
  // A command's usage follows the reason.
  EXPECT_THAT(ctl_.Run({"get"}).err, HasSubstr("usage:\n  kirimctl get <message id"));
}

TEST_F(KirimctlOfflineTest, AnUnreachableAddressExitsThree) {
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"get", kSomeId}, {"watch", kSomeId}, {"watch"}, {"queue", "list"}}) {
    args.push_back("--timeout=5s");
    Ctl r = ctl_.Run(args);
    EXPECT_EQ(r.exit, 3) << absl::StrJoin(args, " ") << "\n" << Describe(r);
    EXPECT_THAT(r.err, ::testing::AnyOf(HasSubstr("UNAVAILABLE"), HasSubstr("DEADLINE_EXCEEDED")))
        << absl::StrJoin(args, " ");
  }
}

}  // namespace
}  // namespace kirim
