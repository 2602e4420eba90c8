// TemplateStore: each tenant's stored templates ("templates/{template_id}"), which SendBatch
// names instead of sending a template inline. AdminService creates, gets, lists and deletes
// them; the send path Gets one per batch and compiles it (template_engine.h).
//
//   KIRIM_ASSIGN_OR_RETURN(CompiledTemplate checked, CompiledTemplate::Compile(req.template()));
//   KIRIM_ASSIGN_OR_RETURN(v1::Template stored,
//                          store.Create("acme", req.template_id(), req.template(), clock.Now()));
//   // stored.name() == "templates/welcome"; create_time == update_time == now
//   KIRIM_ASSIGN_OR_RETURN(v1::Template t, store.Get("acme", "welcome"));
//
// Templates are tenant-scoped: no call ever sees or changes another tenant's templates, and
// another tenant's id is NOT_FOUND with the same message as an id nobody has. Stores keep the
// template as given; they do not check its syntax, so the API edge compiles it before Create.
// Errors from the backend pass through as it classifies them: UNAVAILABLE when Redis is down
// (retry; nothing was changed).
//
// Production wires RedisTemplateStore (redis_template_store.h); tests use
// kirim::testing::FakeTemplateStore (tests/templates/fake_template_store.h). Both apply the
// shared rules declared at the end of this header, and tests/templates runs one contract suite
// against both.
#ifndef KIRIM_SERVER_TEMPLATES_TEMPLATE_STORE_H_
#define KIRIM_SERVER_TEMPLATES_TEMPLATE_STORE_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "kirim/v1/mail_service.pb.h"

namespace kirim {

class TemplateStore {
 public:
  virtual ~TemplateStore() = default;

  // Stores `t` as the tenant's template `id` and returns what was stored: `t` with name
  // "templates/<id>" and create_time = update_time = `now` (whatever `t` carried in those
  // fields). ALREADY_EXISTS if the tenant has a template with that id (another tenant's does
  // not count); InvalidArgument for a bad tenant or id.
  virtual absl::StatusOr<v1::Template> Create(absl::string_view tenant, absl::string_view id,
                                              v1::Template t, absl::Time now) = 0;

  // The stored template. NOT_FOUND if the tenant has none with that id; InvalidArgument for a
  // bad tenant or id.
  virtual absl::StatusOr<v1::Template> Get(absl::string_view tenant, absl::string_view id) = 0;

  // The tenant's templates in byte order of id, `page_size` at a time (0:
  // kDefaultTemplatePageSize; above kMaxTemplatePageSize: that many). Returns the page and the
  // token of the next one, "" after the last page. `page_token` is opaque: "" for the first
  // page, else a token List returned; templates created or deleted between pages never make a
  // page repeat or skip one that stayed. InvalidArgument for a bad tenant, a negative page_size
  // or a malformed token.
  virtual absl::StatusOr<std::pair<std::vector<v1::Template>, std::string>> List(
      absl::string_view tenant, int page_size, absl::string_view page_token) = 0;

  // Deletes the tenant's template `id`. NOT_FOUND if there is none; InvalidArgument for a bad
  // tenant or id. Batches already accepted keep what they rendered.
  virtual absl::Status Delete(absl::string_view tenant, absl::string_view id) = 0;
};

// ---- Shared rules for TemplateStore implementations and the API edge. ----

inline constexpr int kDefaultTemplatePageSize = 100;
inline constexpr int kMaxTemplatePageSize = 1000;
inline constexpr size_t kMaxTemplateIdBytes = 64;

// InvalidArgument unless `id` is 1 to kMaxTemplateIdBytes characters of [a-z0-9_-]: ids become
// parts of storage keys and of resource names, so no separator may appear.
absl::Status ValidateTemplateId(absl::string_view id);

// Create, Get and Delete's arguments: a valid tenant (ValidateTenant) and id.
absl::Status CheckTemplateKey(absl::string_view tenant, absl::string_view id);

// "templates/{id}", and back: ParseTemplateName returns the id, or InvalidArgument when `name`
// lacks the prefix or the rest is not a valid id.
std::string TemplateName(absl::string_view id);
absl::StatusOr<std::string> ParseTemplateName(absl::string_view name);

// The errors every store returns, so callers and tests see one wording: NOT_FOUND
// "template templates/<id> not found" and ALREADY_EXISTS "template templates/<id> already
// exists".
absl::Status TemplateNotFoundError(absl::string_view id);
absl::Status TemplateExistsError(absl::string_view id);

// What Create stores: `t` with its name and times set.
v1::Template StampTemplate(absl::string_view id, v1::Template t, absl::Time now);

// List's arguments, checked: how many templates to return and the id the page starts after
// ("" = from the first).
struct TemplatePageRequest {
  int limit = kDefaultTemplatePageSize;
  std::string after;
};
absl::StatusOr<TemplatePageRequest> CheckTemplateListArgs(absl::string_view tenant, int page_size,
                                                          absl::string_view page_token);

// The token of the page that starts after `last_id` (the last template of this page): its
// base64url. DecodeTemplatePageToken accepts only such tokens of a valid id.
std::string TemplatePageToken(absl::string_view last_id);
absl::StatusOr<std::string> DecodeTemplatePageToken(absl::string_view page_token);

}  // namespace kirim

#endif  // KIRIM_SERVER_TEMPLATES_TEMPLATE_STORE_H_
