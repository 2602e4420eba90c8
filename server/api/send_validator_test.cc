#include "server/api/send_validator.h"

#include "absl/strings/cord.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"

namespace kirim {
namespace {

v1::SendEmailRequest Valid() {
  v1::SendEmailRequest r;
  r.set_from("\"Shop\" <shop@example.com>");
  r.add_to("ana@example.net");
  r.set_subject("Hello");
  r.set_text_body("Hi Ana");
  return r;
}

const absl::Time kNow = absl::FromUnixSeconds(1800000000);

// The fields named in the BadRequest detail, in order.
std::vector<std::string> BadFields(const absl::Status& s) {
  std::vector<std::string> fields;
  auto payload = s.GetPayload("type.googleapis.com/google.rpc.BadRequest");
  if (!payload.has_value()) return fields;
  google::rpc::BadRequest bad;
  bad.ParseFromString(std::string(*payload));
  for (const auto& v : bad.field_violations()) fields.push_back(v.field());
  return fields;
}

TEST(SendValidatorTest, AcceptsAValidRequest) {
  auto v = ValidateSendEmail(Valid(), {}, kNow);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->from.display_name, "Shop");
  EXPECT_EQ(v->envelope_from, "shop@example.com");
  EXPECT_EQ(v->envelope_recipients, std::vector<std::string>{"ana@example.net"});
  EXPECT_FALSE(v->send_at.has_value());
}

TEST(SendValidatorTest, EnvelopeHasToCcBccDeduplicatedAndEnvelopeFromOverride) {
  v1::SendEmailRequest r = Valid();
  r.add_cc("Bo <bo@example.net>");
  r.add_bcc("ANA@EXAMPLE.NET");  // a different local part case is a different mailbox...
  r.add_bcc("ana@EXAMPLE.net");  // ...but the domain is case-insensitive: a duplicate
  r.set_envelope_from("bounces@example.com");
  auto v = ValidateSendEmail(r, {}, kNow);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->envelope_recipients,
            (std::vector<std::string>{"ana@example.net", "bo@example.net", "ANA@example.net"}));
  EXPECT_EQ(v->envelope_from, "bounces@example.com");
}

struct BadCase {
  const char* name;
  void (*mutate)(v1::SendEmailRequest*);
  std::vector<std::string> fields;
};

class SendValidatorBadTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(SendValidatorBadTest, IsInvalidArgumentNamingTheField) {
  v1::SendEmailRequest r = Valid();
  GetParam().mutate(&r);
  auto v = ValidateSendEmail(r, SendLimits{.max_message_bytes = 64 * 1024, .max_recipients = 3,
                                           .max_headers = 2, .max_attachments = 1,
                                           .max_attachment_bytes = 200 * 1024},
                             kNow);
  ASSERT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument) << GetParam().name;
  EXPECT_EQ(BadFields(v.status()), GetParam().fields) << v.status();
  EXPECT_EQ(v.status().message().substr(0, GetParam().fields[0].size()), GetParam().fields[0]);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, SendValidatorBadTest,
    ::testing::Values(
        BadCase{"no from", [](v1::SendEmailRequest* r) { r->clear_from(); }, {"from"}},
        BadCase{"bad from", [](v1::SendEmailRequest* r) { r->set_from("shop.example.com"); }, {"from"}},
        BadCase{"CRLF in display name",
                [](v1::SendEmailRequest* r) { r->set_from("Shop\r\nBcc: x@evil.test <shop@example.com>"); },
                {"from"}},
        BadCase{"no recipients", [](v1::SendEmailRequest* r) { r->clear_to(); }, {"to"}},
        BadCase{"bad second to",
                [](v1::SendEmailRequest* r) { r->add_to("not an address"); }, {"to[1]"}},
        BadCase{"bad cc", [](v1::SendEmailRequest* r) { r->add_cc("a@@b"); }, {"cc[0]"}},
        BadCase{"bad bcc", [](v1::SendEmailRequest* r) { r->add_bcc("x@-bad-.com"); }, {"bcc[0]"}},
        BadCase{"too many recipients",
                [](v1::SendEmailRequest* r) {
                  for (int i = 0; i < 3; ++i) r->add_cc("c" + std::to_string(i) + "@example.net");
                },
                {"to"}},
        BadCase{"CRLF in subject",
                [](v1::SendEmailRequest* r) { r->set_subject("Hi\r\nBcc: victim@example.org"); },
                {"subject"}},
        BadCase{"LF in subject", [](v1::SendEmailRequest* r) { r->set_subject("Hi\nthere"); }, {"subject"}},
        BadCase{"no body", [](v1::SendEmailRequest* r) { r->clear_text_body(); }, {"text_body"}},
        BadCase{"CRLF in header value",
                [](v1::SendEmailRequest* r) { (*r->mutable_headers())["X-Campaign"] = "a\r\nBcc: x@y.z"; },
                {"headers.X-Campaign"}},
        BadCase{"CRLF in header name",
                [](v1::SendEmailRequest* r) { (*r->mutable_headers())["X-A\r\nBcc"] = "v"; },
                {"headers"}},
        BadCase{"colon in header name",
                [](v1::SendEmailRequest* r) { (*r->mutable_headers())["X:A"] = "v"; }, {"headers.X:A"}},
        BadCase{"reserved header",
                [](v1::SendEmailRequest* r) { (*r->mutable_headers())["bcc"] = "x@y.z"; }, {"headers.bcc"}},
        BadCase{"too many headers",
                [](v1::SendEmailRequest* r) {
                  for (int i = 0; i < 3; ++i) (*r->mutable_headers())["X-H" + std::to_string(i)] = "v";
                },
                {"headers"}},
        BadCase{"attachment without filename",
                [](v1::SendEmailRequest* r) { r->add_attachments()->set_content("x"); },
                {"attachments[0].filename"}},
        BadCase{"bad content type",
                [](v1::SendEmailRequest* r) {
                  auto* a = r->add_attachments();
                  a->set_filename("a.txt");
                  a->set_content_type("text plain");
                },
                {"attachments[0].content_type"}},
        BadCase{"oversize attachment",
                [](v1::SendEmailRequest* r) {
                  auto* a = r->add_attachments();
                  a->set_filename("big.bin");
                  a->set_content(std::string(100 * 1024, 'x'));
                },
                {"attachments"}},
        BadCase{"one attachment over its cap",
                [](v1::SendEmailRequest* r) {
                  auto* a = r->add_attachments();
                  a->set_filename("a.bin");
                  a->set_content(std::string(300 * 1024, 'x'));  // also over the total
                },
                {"attachments[0].content", "attachments"}},
        BadCase{"oversize body",
                [](v1::SendEmailRequest* r) { r->set_text_body(std::string(100 * 1024, 'x')); },
                {"text_body"}},
        BadCase{"send_at too far",
                [](v1::SendEmailRequest* r) { r->mutable_send_at()->set_seconds(1800000000 + 86400 * 365); },
                {"send_at"}},
        BadCase{"several at once",
                [](v1::SendEmailRequest* r) {
                  r->clear_from();
                  r->set_subject("a\rb");
                },
                {"from", "subject"}}),
    [](const ::testing::TestParamInfo<BadCase>& info) {
      std::string n = info.param.name;
      for (char& c : n) if (!isalnum(static_cast<unsigned char>(c))) c = '_';
      return n;
    });

TEST(SendValidatorTest, FutureSendAtIsKept) {
  v1::SendEmailRequest r = Valid();
  r.mutable_send_at()->set_seconds(1800000000 + 3600);
  auto v = ValidateSendEmail(r, {}, kNow);
  ASSERT_TRUE(v.ok());
  ASSERT_TRUE(v->send_at.has_value());
  EXPECT_EQ(*v->send_at, kNow + absl::Hours(1));
}

}  // namespace
}  // namespace kirim
