#include "server/shaping/throttle_reply.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace kirim {
namespace {

// Matched at the start of a word, so "rate" finds "rate limited" and "ratelimit" but not
// "generate", and "limit" finds "limits" but not "unlimited".
constexpr absl::string_view kWordStarts[] = {"rate", "limit",   "throttl",
                                             "busy", "congest", "volume"};
// Matched anywhere: already more than one word.
constexpr absl::string_view kPhrases[] = {"too many", "too much", "too fast", "slow down"};

bool StartsWord(absl::string_view text, absl::string_view word) {
  for (size_t at = text.find(word); at != absl::string_view::npos; at = text.find(word, at + 1)) {
    if (at == 0 || !absl::ascii_isalpha(static_cast<unsigned char>(text[at - 1]))) return true;
  }
  return false;
}

bool SpeaksOfVolume(absl::string_view text) {
  // Lines joined by "\n" (Reply::Text) read as one sentence: servers split them anywhere.
  std::string lower(text);
  for (char& c : lower) {
    c = absl::ascii_isspace(static_cast<unsigned char>(c)) ? ' ' : absl::ascii_tolower(c);
  }
  for (absl::string_view w : kWordStarts) {
    if (StartsWord(lower, w)) return true;
  }
  for (absl::string_view p : kPhrases) {
    if (absl::StrContains(lower, p)) return true;
  }
  return false;
}

}  // namespace

bool IsThrottleReply(int code, absl::string_view enhanced_code, absl::string_view text) {
  if (code == 421) return true;
  if (code / 100 != 4) return false;
  if (enhanced_code == "4.4.5" || enhanced_code == "4.7.28") return true;
  const bool policy = absl::StartsWith(enhanced_code, "4.7.");
  const bool bare = enhanced_code.empty() && code != 452;
  return (policy || bare) && SpeaksOfVolume(text);
}

bool IsThrottleReply(const smtp::Reply& reply) {
  return IsThrottleReply(reply.code, reply.enhanced_code, reply.Text());
}

}  // namespace kirim
