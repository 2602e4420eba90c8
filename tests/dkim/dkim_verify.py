"""Verifies every DKIM-Signature of a message with Debian's python3-dkim, an independent verifier.

usage: dkim_verify.py MESSAGE_FILE RECORDS_FILE NOW

RECORDS_FILE holds one "<selector>._domainkey.<domain>.<TAB><TXT value>" line per key: the
only DNS this verifier sees. NOW (Unix seconds) is the verifier's clock, so t= and x= checks do
not depend on the real date. Prints "signatures <n>", then per signature, topmost first,
"sig <i> pass", "sig <i> fail" or "sig <i> error <exception>: <text>".
"""
import logging
import sys
import time

import dkim


def main():
    message_path, records_path, now = sys.argv[1], sys.argv[2], int(sys.argv[3])
    time.time = lambda: float(now)  # python3-dkim reads time.time() for t= and x=

    records = {}
    with open(records_path, "rb") as f:
        for line in f.read().splitlines():
            if line:
                name, value = line.split(b"\t", 1)
                records[name.lower()] = value

    def dnsfunc(name, timeout=5):
        return records.get(name.lower())

    with open(message_path, "rb") as f:
        message = f.read()

    logger = logging.getLogger("dkim_verify")
    logger.addHandler(logging.NullHandler())
    logger.propagate = False

    count = len([1 for name, _ in dkim.rfc822_parse(message)[0]
                 if name.lower() == b"dkim-signature"])
    print("signatures %d" % count)
    for i in range(count):
        # A fresh DKIM object per signature: verify() keeps state from the last run.
        d = dkim.DKIM(message, logger=logger)
        try:
            ok = d.verify(idx=i, dnsfunc=dnsfunc)
            print("sig %d %s" % (i, "pass" if ok else "fail"))
        except dkim.DKIMException as e:
            print("sig %d error %s: %s" % (i, type(e).__name__, e))


if __name__ == "__main__":
    main()
