#!/usr/bin/env bash
# kirim_keygen: stdout is exactly one key of the documented format, fresh on every run, and a
# stray argument is refused rather than ignored.
set -euo pipefail
keygen="$1"
pattern='^kirim_[0-9A-HJKMNP-TV-Z]{16}_[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$'

first="$("$keygen")"
second="$("$keygen")"
[ "$(printf '%s\n' "$first" | wc -l)" -eq 1 ] || { echo "more than one line: $first"; exit 1; }
printf '%s\n' "$first" | grep -Eq "$pattern" || { echo "malformed key: $first"; exit 1; }
printf '%s\n' "$second" | grep -Eq "$pattern" || { echo "malformed key: $second"; exit 1; }
[ "$first" != "$second" ] || { echo "two runs printed the same key"; exit 1; }
if "$keygen" extra >/dev/null 2>&1; then echo "accepted an argument"; exit 1; fi
echo PASS
