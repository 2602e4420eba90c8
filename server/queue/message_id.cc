#include "server/queue/message_id.h"

#include <cstdint>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace kirim {
namespace {
constexpr char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
constexpr size_t kIdLength = 26;

// FNV-1a, 32 bits: fixed (not absl::Hash, which is salted per process), so every process agrees.
uint32_t Fnv1a(absl::string_view s, uint32_t h = 2166136261u) {
  for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
  return h;
}

int DigitOf(char c) {
  size_t at = absl::string_view(kAlphabet).find(c);
  return at == absl::string_view::npos ? -1 : static_cast<int>(at);
}
}  // namespace

std::string NewMessageId(const Clock& clock, Random& random, std::optional<int> shard_selector) {
  uint64_t ms = static_cast<uint64_t>(absl::ToUnixMillis(clock.Now())) & ((uint64_t{1} << 48) - 1);
  std::string rnd = random.Bytes(10);
  // 128 bits: 48-bit time, 80-bit randomness, big-endian; emitted 5 bits at a time.
  unsigned char bytes[16];
  for (int i = 0; i < 6; ++i) bytes[i] = static_cast<unsigned char>(ms >> (8 * (5 - i)));
  for (int i = 0; i < 10; ++i) bytes[6 + i] = static_cast<unsigned char>(rnd[i]);
  if (shard_selector.has_value()) {
    // The last 10 bits: the low 2 bits of byte 14 and all of byte 15.
    const unsigned sel = static_cast<unsigned>(*shard_selector) % kShardSelectors;
    bytes[14] = static_cast<unsigned char>((bytes[14] & 0xFC) | (sel >> 8));
    bytes[15] = static_cast<unsigned char>(sel & 0xFF);
  }
  std::string out(kIdLength, '0');
  // 26 chars * 5 bits = 130 bits: the first char carries only the top 3 bits.
  for (size_t i = 0; i < kIdLength; ++i) {
    int bit = static_cast<int>(i) * 5 - 2;  // position of this char's first bit in the 128
    int v = 0;
    for (int b = 0; b < 5; ++b, ++bit) {
      v <<= 1;
      if (bit >= 0) v |= (bytes[bit / 8] >> (7 - bit % 8)) & 1;
    }
    out[i] = kAlphabet[v];
  }
  return out;
}

bool IsValidMessageId(absl::string_view id) {
  if (id.size() != kIdLength || id[0] > '7') return false;
  for (char c : id) {
    if (DigitOf(c) < 0) return false;
  }
  return true;
}

int ShardSelectorOf(absl::string_view id) {
  if (!IsValidMessageId(id)) return static_cast<int>(Fnv1a(id) % kShardSelectors);
  // The last two characters carry exactly the last 10 bits.
  return DigitOf(id[kIdLength - 2]) * 32 + DigitOf(id[kIdLength - 1]);
}

int ShardSelectorForKey(absl::string_view tenant, absl::string_view idempotency_key) {
  // The NUL keeps ("ab", "c") and ("a", "bc") apart (tenants never contain one).
  const uint32_t h = Fnv1a(idempotency_key, Fnv1a(absl::string_view("\0", 1), Fnv1a(tenant)));
  return static_cast<int>(h % kShardSelectors);
}

absl::StatusOr<std::string> ParseMessageName(absl::string_view name) {
  absl::string_view id = name;
  absl::ConsumePrefix(&id, "messages/");
  if (!IsValidMessageId(id)) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a message name: expected \"messages/{id}\" with a 26-character id"));
  }
  return std::string(id);
}

}  // namespace kirim
