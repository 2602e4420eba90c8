#include "server/address/idna.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "server/common/status_macros.h"
#include "server/common/text.h"

namespace kirim {
namespace {

// RFC 3492 §5 parameter values for Punycode.
constexpr uint32_t kBase = 36;
constexpr uint32_t kTMin = 1;
constexpr uint32_t kTMax = 26;
constexpr uint32_t kSkew = 38;
constexpr uint32_t kDamp = 700;
constexpr uint32_t kInitialBias = 72;
constexpr uint32_t kInitialN = 0x80;
// RFC 3492 §6.4: the reference implementation's integers are 32 bits.
constexpr uint64_t kMaxDelta = std::numeric_limits<uint32_t>::max();

char Digit(uint32_t d) { return static_cast<char>(d < 26 ? 'a' + d : '0' + d - 26); }

// RFC 3492 §6.1.
uint32_t Adapt(uint32_t delta, uint32_t points, bool first) {
  delta = first ? delta / kDamp : delta / 2;
  delta += delta / points;
  uint32_t k = 0;
  while (delta > ((kBase - kTMin) * kTMax) / 2) {
    delta /= kBase - kTMin;
    k += kBase;
  }
  return k + (kBase - kTMin + 1) * delta / (delta + kSkew);
}

}  // namespace

absl::StatusOr<std::string> PunycodeEncode(absl::string_view text) {
  if (!IsValidUtf8(text)) return absl::InvalidArgumentError("label is not valid UTF-8");
  const std::vector<uint32_t> input = CodePoints(text);
  std::string out;
  for (uint32_t c : input) {
    if (c < 0x80) out.push_back(static_cast<char>(c));
  }
  const uint32_t basic = static_cast<uint32_t>(out.size());
  if (basic > 0) out.push_back('-');

  // RFC 3492 §6.3, with 64-bit arithmetic so the §6.4 overflow check is a comparison.
  uint64_t n = kInitialN, delta = 0;
  uint32_t bias = kInitialBias;
  uint32_t handled = basic;
  while (handled < input.size()) {
    uint64_t m = std::numeric_limits<uint32_t>::max();
    for (uint32_t c : input) {
      if (c >= n && c < m) m = c;
    }
    delta += (m - n) * (handled + 1);
    n = m;
    for (uint32_t c : input) {
      if (c < n) ++delta;
      if (delta > kMaxDelta) return absl::InvalidArgumentError("label too long for Punycode");
      if (c != n) continue;
      uint64_t q = delta;
      for (uint32_t k = kBase;; k += kBase) {
        const uint32_t t = k <= bias ? kTMin : k >= bias + kTMax ? kTMax : k - bias;
        if (q < t) break;
        out.push_back(Digit(static_cast<uint32_t>(t + (q - t) % (kBase - t))));
        q = (q - t) / (kBase - t);
      }
      out.push_back(Digit(static_cast<uint32_t>(q)));
      bias = Adapt(static_cast<uint32_t>(delta), handled + 1, handled == basic);
      delta = 0;
      ++handled;
    }
    ++delta;
    ++n;
  }
  return out;
}

absl::StatusOr<std::string> ToALabel(absl::string_view label) {
  if (IsAscii(label)) return std::string(label);
  KIRIM_ASSIGN_OR_RETURN(std::string encoded, PunycodeEncode(label));
  return absl::StrCat("xn--", encoded);
}

absl::StatusOr<std::string> DomainToAscii(absl::string_view domain) {
  std::vector<std::string> labels;
  for (absl::string_view label : absl::StrSplit(domain, '.')) {
    KIRIM_ASSIGN_OR_RETURN(std::string a_label, ToALabel(label));
    labels.push_back(std::move(a_label));
  }
  return absl::StrJoin(labels, ".");
}

}  // namespace kirim
