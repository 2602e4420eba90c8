// The message flags as a request: attachments from files (name and type), bodies inline or
// from files (not both), priority and send_at.
#include "client/ctl/message_flags.h"

#include <fstream>

#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "client/ctl/attachments.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

ABSL_DECLARE_FLAG(std::vector<std::string>, attach);
ABSL_DECLARE_FLAG(std::vector<std::string>, to);
ABSL_DECLARE_FLAG(std::string, text);
ABSL_DECLARE_FLAG(std::string, text_file);
ABSL_DECLARE_FLAG(std::string, priority);
ABSL_DECLARE_FLAG(std::string, send_at);

namespace kirim::ctl {
namespace {

using ::testing::HasSubstr;

std::string TempFile(const std::string& name, const std::string& content) {
  const char* dir = std::getenv("TEST_TMPDIR");
  const std::string path = std::string(dir ? dir : "/tmp") + "/" + name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

TEST(ContentTypeTest, ByExtensionAnyCaseElseOctetStream) {
  EXPECT_EQ(GuessContentType("invoice.pdf"), "application/pdf");
  EXPECT_EQ(GuessContentType("PHOTO.JPG"), "image/jpeg");
  EXPECT_EQ(GuessContentType("logs.tar.gz"), "application/gzip");
  EXPECT_EQ(GuessContentType("notes.txt"), "text/plain");
  EXPECT_EQ(GuessContentType("README"), "application/octet-stream");
  EXPECT_EQ(GuessContentType(".bashrc"), "application/octet-stream");
  EXPECT_EQ(GuessContentType("data.bin"), "application/octet-stream");
}

TEST(AttachmentTest, TheBaseNameTheGuessedTypeAndTheExactBytes) {
  const std::string bytes("%PDF-1.4\n\0\xff binary", 18);
  absl::StatusOr<v1::Attachment> a = AttachmentFromFile(TempFile("invoice-42.pdf", bytes));
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->filename(), "invoice-42.pdf");
  EXPECT_EQ(a->content_type(), "application/pdf");
  EXPECT_EQ(a->content(), bytes);

  absl::StatusOr<v1::Attachment> missing = AttachmentFromFile("/nonexistent/x.pdf");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(missing.status().message()),
              HasSubstr("--attach: cannot read /nonexistent/x.pdf"));
}

TEST(SendAtTest, RelativeOrRfc3339) {
  const absl::Time now = absl::FromUnixSeconds(1767323045);
  EXPECT_EQ(*ParseSendAt("+90m", now), now + absl::Minutes(90));
  EXPECT_EQ(*ParseSendAt("2026-01-02T10:04:05+07:00", now), now);
  EXPECT_EQ(ParseSendAt("tomorrow", now).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseSendAt("+-5m", now).status().code(), absl::StatusCode::kInvalidArgument);
}

class SendRequestTest : public ::testing::Test {
 protected:
  absl::FlagSaver saver_;
};

TEST_F(SendRequestTest, EveryAttachAndTheBodyFileAndSendAt) {
  const std::string a = TempFile("a.txt", "alpha");
  const std::string b = TempFile("b.png", "\x89PNG");
  absl::SetFlag(&FLAGS_attach, {a, b});
  absl::SetFlag(&FLAGS_to, {"ana@example.net"});
  absl::SetFlag(&FLAGS_text_file, TempFile("body.txt", "Hello\n"));
  absl::SetFlag(&FLAGS_send_at, "+1h");
  const absl::Time now = absl::FromUnixSeconds(1767323045);
  absl::StatusOr<v1::SendEmailRequest> req = SendRequestFromFlags(now);
  ASSERT_TRUE(req.ok()) << req.status();
  ASSERT_EQ(req->attachments_size(), 2);
  EXPECT_EQ(req->attachments(0).filename(), "a.txt");
  EXPECT_EQ(req->attachments(0).content_type(), "text/plain");
  EXPECT_EQ(req->attachments(0).content(), "alpha");
  EXPECT_EQ(req->attachments(1).filename(), "b.png");
  EXPECT_EQ(req->attachments(1).content_type(), "image/png");
  EXPECT_EQ(req->text_body(), "Hello\n");
  EXPECT_EQ(req->priority(), v1::TRANSACTIONAL);
  EXPECT_EQ(req->send_at().seconds(), 1767323045 + 3600);
}

TEST_F(SendRequestTest, UsageErrorsNameTheFlag) {
  absl::SetFlag(&FLAGS_text, "inline");
  absl::SetFlag(&FLAGS_text_file, TempFile("body2.txt", "file"));
  EXPECT_EQ(SendRequestFromFlags(absl::Now()).status().message(),
            "give --text or --text_file, not both");
  absl::SetFlag(&FLAGS_text_file, "");
  absl::SetFlag(&FLAGS_priority, "urgent");
  EXPECT_EQ(SendRequestFromFlags(absl::Now()).status().message(),
            "--priority must be transactional or bulk");
  absl::SetFlag(&FLAGS_priority, "");
  absl::SetFlag(&FLAGS_attach, {"/nonexistent/a.pdf"});
  EXPECT_THAT(std::string(SendRequestFromFlags(absl::Now()).status().message()),
              HasSubstr("--attach:"));
}

}  // namespace
}  // namespace kirim::ctl
