#include "server/mime/header.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "server/common/status_macros.h"
#include "server/mime/encoding.h"
#include "server/common/text.h"

namespace kirim {
namespace {

constexpr size_t kMaxHeaderName = 76;

constexpr absl::string_view kReservedHeaders[] = {
    "Bcc",
    "Cc",
    "Content-Disposition",
    "Content-ID",
    "Content-Transfer-Encoding",
    "Content-Type",
    "Date",
    "DKIM-Signature",
    "From",
    "Message-ID",
    "MIME-Version",
    "Received",
    "Reply-To",
    "Return-Path",
    "Sender",
    "Subject",
    "To",
};

bool IsWsp(char c) { return c == ' ' || c == '\t'; }

absl::Status FieldError(absl::string_view name, absl::string_view reason) {
  return absl::InvalidArgumentError(absl::StrCat(name, ": ", reason));
}

// Columns left on a field's first line after "Name: ".
size_t RoomAfter(absl::string_view name) {
  return name.size() + 2 < kFoldColumn ? kFoldColumn - name.size() - 2 : 0;
}

// Encoded-words stand in for text that cannot go out as is: non-ASCII, text a reader would
// mistake for an encoded-word ("=?"), or a word that would not fit on a folded line even on
// its own (the first word gets only `first_room`, the rest of its line being taken), or a run
// of white space longer than a line: folding breaks only before a run's last character, so
// such a run stays on one line, and past 998 octets the field could not be written at all
// (a quoted display name of 1,000 spaces, found by tests/fuzz:address).
bool NeedsEncodedWords(absl::string_view text, size_t first_room) {
  if (!IsAscii(text) || absl::StrContains(text, "=?")) return true;
  size_t room = first_room;
  for (absl::string_view word : absl::StrSplit(text, absl::ByAnyChar(" \t"))) {
    if (word.size() > room) return true;
    room = kFoldColumn - 1;  // a continuation line starts with one space
  }
  size_t run = 0;
  for (char c : text) {
    run = IsWsp(c) ? run + 1 : 0;
    if (run > kFoldColumn - 1) return true;
  }
  return false;
}

// RFC 5322 §2.2.3 folding: a CRLF goes only before existing white space, so unfolding gives
// back the exact value. Each line breaks at the last such point within 78 columns (or the
// first one after, if there is none); a line never ends right after the colon nor holds only
// white space. Structured values prefer to break after a ',' or ';' so list items and
// parameters stay whole on their lines.
absl::Status AppendFolded(absl::string_view name, absl::string_view value, bool structured,
                          std::string* out) {
  const std::string field =
      value.empty() ? absl::StrCat(name, ":") : absl::StrCat(name, ": ", value);
  const size_t value_start = name.size() + 2;
  // separator[i]: field[i - 1] is a ',' or ';' outside any quoted-string.
  std::vector<bool> separator(field.size() + 1, false);
  if (structured) {
    bool quoted = false;
    for (size_t i = value_start; i < field.size(); ++i) {
      if (quoted && field[i] == '\\') {
        ++i;
      } else if (field[i] == '"') {
        quoted = !quoted;
      } else if (!quoted && (field[i] == ',' || field[i] == ';')) {
        separator[i + 1] = true;
      }
    }
  }
  std::string folded;
  size_t start = 0;
  while (field.size() - start > kFoldColumn) {
    size_t cut = absl::string_view::npos, separator_cut = absl::string_view::npos;
    bool seen_text = false;  // non-white space on this line (of the value, on line one)
    for (size_t i = start + 1; i + 1 < field.size(); ++i) {
      if (seen_text && IsWsp(field[i]) && !IsWsp(field[i + 1])) {
        if (i - start > kFoldColumn) {
          if (cut == absl::string_view::npos) cut = i;
          break;
        }
        cut = i;
        if (separator[i]) separator_cut = i;
      }
      if (i >= value_start && !IsWsp(field[i])) seen_text = true;
    }
    if (separator_cut != absl::string_view::npos) cut = separator_cut;
    if (cut == absl::string_view::npos) break;
    absl::StrAppend(&folded, absl::string_view(field).substr(start, cut - start), "\r\n");
    start = cut;
  }
  absl::StrAppend(&folded, absl::string_view(field).substr(start), "\r\n");
  for (absl::string_view line : absl::StrSplit(folded, "\r\n")) {
    if (line.size() > kMaxLineLength) {
      return FieldError(name, "line longer than 998 octets even after folding");
    }
  }
  out->append(folded);
  return absl::OkStatus();
}

// Checks that hold for every field, then folds it. `utf8` lets valid UTF-8 through, for the
// one place it may appear raw: an internationalized addr-spec (RFC 6532 §3.2).
absl::Status AppendChecked(absl::string_view name, absl::string_view value, bool structured,
                           bool utf8, std::string* out) {
  KIRIM_RETURN_IF_ERROR(ValidateHeaderName(name));
  if (absl::Status s = CheckNoControlChars(value, /*allow_tab=*/true); !s.ok()) {
    return FieldError(name, s.message());
  }
  if (!IsAscii(value) && (!utf8 || !IsValidUtf8(value))) {
    return FieldError(name, "non-ASCII value needs encoding");
  }
  return AppendFolded(name, value, structured, out);
}

// RFC 5322 §3.2.4 quoted-string.
std::string QuoteString(absl::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

// True when `text` can be sent as RFC 5322 §3.2.5 phrase of atoms: single spaces between
// non-empty runs of atext.
bool IsAtomPhrase(absl::string_view text) {
  if (text.empty() || text.front() == ' ' || text.back() == ' ') return false;
  if (absl::StrContains(text, "  ")) return false;
  for (char c : text) {
    if (c != ' ' && !IsAtext(c)) return false;
  }
  return true;
}

std::string FormatMailbox(const Mailbox& mailbox, size_t first_word_max) {
  const std::string address = mailbox.Address();
  const std::string& name = mailbox.display_name;
  if (name.empty()) return address;
  std::string phrase;
  if (NeedsEncodedWords(name, kFoldColumn - 1)) {
    phrase = absl::StrJoin(EncodeWords(name, first_word_max), " ");
  } else if (IsAtomPhrase(name)) {
    phrase = name;
  } else {
    phrase = QuoteString(name);
  }
  return absl::StrCat(phrase, " <", address, ">");
}

// Columns left on a folded line " attribute=\"value\";" for the value.
size_t ParameterRoom(absl::string_view attribute) { return kFoldColumn - attribute.size() - 5; }

// RFC 2231 §4 ext-value, cut into §3 sections ("attr*0*=", "attr*1*=", ...) between UTF-8
// characters when it does not fit on one line, so each section can be folded onto its own.
std::string ExtendedParameter(absl::string_view attribute, absl::string_view value) {
  constexpr absl::string_view kCharset = "utf-8''";
  // " attribute*NN*=...;" must fit in kFoldColumn.
  const size_t room = kFoldColumn - attribute.size() - 7;
  const std::string whole = PercentEncode(value);
  if (kCharset.size() + whole.size() <= room) {
    return absl::StrCat("; ", attribute, "*=", kCharset, whole);
  }
  std::string out;
  int section = 0;
  for (absl::string_view piece :
       SplitUtf8(value, room - kCharset.size(), room,
                 [](absl::string_view p) { return PercentEncode(p).size(); })) {
    absl::StrAppend(&out, "; ", attribute, "*", section, "*=", section == 0 ? kCharset : "",
                    PercentEncode(piece));
    ++section;
  }
  return out;
}

}  // namespace

absl::Status ValidateHeaderName(absl::string_view name) {
  if (name.empty()) return absl::InvalidArgumentError("header name is empty");
  if (name.size() > kMaxHeaderName) {
    return absl::InvalidArgumentError("header name longer than 76 characters");
  }
  for (char c : name) {
    if (c < 33 || c > 126 || c == ':') {
      return absl::InvalidArgumentError(
          "header name contains a character other than "
          "printable ASCII (or contains ':')");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateHeaderValue(absl::string_view value) {
  if (absl::Status s = CheckNoControlChars(value, /*allow_tab=*/true); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("header value ", s.message()));
  }
  if (!IsValidUtf8(value)) return absl::InvalidArgumentError("header value is not valid UTF-8");
  if (value.size() > kMaxLineLength) {
    return absl::InvalidArgumentError("header value longer than 998 octets");
  }
  return absl::OkStatus();
}

bool IsReservedHeader(absl::string_view name) {
  for (absl::string_view reserved : kReservedHeaders) {
    if (absl::EqualsIgnoreCase(name, reserved)) return true;
  }
  return false;
}

absl::Status AppendHeader(absl::string_view name, absl::string_view value, std::string* out) {
  return AppendChecked(name, value, /*structured=*/true, /*utf8=*/false, out);
}

absl::Status AppendTextHeader(absl::string_view name, absl::string_view text, std::string* out) {
  if (absl::Status s = CheckNoControlChars(text, /*allow_tab=*/true); !s.ok()) {
    return FieldError(name, s.message());
  }
  if (!IsValidUtf8(text)) return FieldError(name, "not valid UTF-8");
  const size_t room = RoomAfter(name);
  if (!NeedsEncodedWords(text, room)) {
    return AppendChecked(name, text, /*structured=*/false, /*utf8=*/false, out);
  }
  return AppendChecked(name, absl::StrJoin(EncodeWords(text, room), " "), /*structured=*/false,
                       /*utf8=*/false, out);
}

absl::Status AppendAddressHeader(absl::string_view name, absl::Span<const Mailbox> mailboxes,
                                 std::string* out) {
  if (mailboxes.empty()) return FieldError(name, "no addresses");
  std::vector<std::string> formatted;
  size_t first_word_max = RoomAfter(name);
  for (const Mailbox& mailbox : mailboxes) {
    if (absl::Status s = ValidateMailbox(mailbox); !s.ok()) return FieldError(name, s.message());
    formatted.push_back(FormatMailbox(mailbox, first_word_max));
    // Later mailboxes start after ", " mid-line; the folder moves them to a fresh line.
    first_word_max = kMaxEncodedWordLength;
  }
  // Display names are ASCII by now, so any UTF-8 left is an addr-spec's, which RFC 6532 §3.2
  // writes as is (there is no encoded form of an address).
  return AppendChecked(name, absl::StrJoin(formatted, ", "), /*structured=*/true, /*utf8=*/true,
                       out);
}

std::string FormatDate(absl::Time time) {
  return absl::FormatTime("%a, %d %b %Y %H:%M:%S +0000", time, absl::UTCTimeZone());
}

std::string FilenameParameter(absl::string_view filename) {
  if (NeedsEncodedWords(filename, ParameterRoom("filename"))) {
    return ExtendedParameter("filename", filename);
  }
  return absl::StrCat("; filename=", QuoteString(filename));
}

std::string NameParameter(absl::string_view filename) {
  if (NeedsEncodedWords(filename, ParameterRoom("name"))) {
    return ExtendedParameter("name", filename);
  }
  return absl::StrCat("; name=", QuoteString(filename));
}

}  // namespace kirim
