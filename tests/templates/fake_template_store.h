// FakeTemplateStore: an in-memory TemplateStore with the same contract as RedisTemplateStore (it
// applies the same shared rules from template_store.h, and tests/templates runs one contract
// suite against both), for unit tests of the admin API and the send path.
// `set_unavailable(true)` makes every call that would reach Redis fail like a Redis outage.
//
//   FakeTemplateStore templates;
//   v1::Template t;
//   t.set_subject("Hi {{name}}");
//   ASSERT_TRUE(templates.Create("acme", "welcome", t, absl::FromUnixSeconds(1767323045)).ok());
//   ... a SendBatch naming "templates/welcome" for tenant acme now finds it ...
#ifndef KIRIM_TESTS_TEMPLATES_FAKE_TEMPLATE_STORE_H_
#define KIRIM_TESTS_TEMPLATES_FAKE_TEMPLATE_STORE_H_

#include <iterator>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "server/templates/template_store.h"

namespace kirim::testing {

class FakeTemplateStore final : public TemplateStore {
 public:
  void set_unavailable(bool unavailable) {
    absl::MutexLock lock(&mu_);
    unavailable_ = unavailable;
  }

  absl::StatusOr<v1::Template> Create(absl::string_view tenant, absl::string_view id,
                                      v1::Template t, absl::Time now) override {
    if (absl::Status s = CheckTemplateKey(tenant, id); !s.ok()) return s;
    absl::MutexLock lock(&mu_);
    if (unavailable_) return Down();
    auto [it, inserted] =
        templates_[std::string(tenant)].try_emplace(std::string(id), v1::Template());
    if (!inserted) return TemplateExistsError(id);
    it->second = StampTemplate(id, std::move(t), now);
    return it->second;
  }

  absl::StatusOr<v1::Template> Get(absl::string_view tenant, absl::string_view id) override {
    if (absl::Status s = CheckTemplateKey(tenant, id); !s.ok()) return s;
    absl::MutexLock lock(&mu_);
    if (unavailable_) return Down();
    const std::map<std::string, v1::Template>& list = templates_[std::string(tenant)];
    auto it = list.find(std::string(id));
    if (it == list.end()) return TemplateNotFoundError(id);
    return it->second;
  }

  absl::StatusOr<std::pair<std::vector<v1::Template>, std::string>> List(
      absl::string_view tenant, int page_size, absl::string_view page_token) override {
    absl::StatusOr<TemplatePageRequest> page =
        CheckTemplateListArgs(tenant, page_size, page_token);
    if (!page.ok()) return page.status();
    absl::MutexLock lock(&mu_);
    if (unavailable_) return Down();
    const std::map<std::string, v1::Template>& list = templates_[std::string(tenant)];
    std::pair<std::vector<v1::Template>, std::string> out;
    for (auto it = page->after.empty() ? list.begin() : list.upper_bound(page->after);
         it != list.end(); ++it) {
      if (out.first.size() == static_cast<size_t>(page->limit)) {
        out.second = TemplatePageToken(std::prev(it)->first);
        break;
      }
      out.first.push_back(it->second);
    }
    return out;
  }

  absl::Status Delete(absl::string_view tenant, absl::string_view id) override {
    if (absl::Status s = CheckTemplateKey(tenant, id); !s.ok()) return s;
    absl::MutexLock lock(&mu_);
    if (unavailable_) return Down();
    if (templates_[std::string(tenant)].erase(std::string(id)) == 0) {
      return TemplateNotFoundError(id);
    }
    return absl::OkStatus();
  }

 private:
  static absl::Status Down() { return absl::UnavailableError("fake redis down"); }

  absl::Mutex mu_;
  bool unavailable_ ABSL_GUARDED_BY(mu_) = false;
  // Tenant -> id -> stored template; std::map orders ids byte by byte, as Redis's ZRANGEBYLEX
  // does.
  std::map<std::string, std::map<std::string, v1::Template>> templates_ ABSL_GUARDED_BY(mu_);
};

}  // namespace kirim::testing

#endif  // KIRIM_TESTS_TEMPLATES_FAKE_TEMPLATE_STORE_H_
