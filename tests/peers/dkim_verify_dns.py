#!/usr/bin/python3
"""Verifies every DKIM-Signature of a message with Debian's python3-dkim, fetching public keys
from a DNS server (normally the test's own dnslib server on 127.0.0.1) instead of the system
resolver.

    /usr/bin/python3 dkim_verify_dns.py message.eml --dns 127.0.0.1:5353

Prints one line per signature, in header order:
    SIG <index> d=<domain> s=<selector> a=<algorithm> PASS|FAIL
then "SIGNATURES <n>", and exits 0 only if there is at least one signature and all pass.
"""

import argparse
import re
import sys

import dkim
from dnslib import DNSRecord, QTYPE


def make_dnsfunc(host, port):
    def dnsfunc(name, timeout=5):
        if isinstance(name, bytes):
            name = name.decode("ascii")
        q = DNSRecord.question(name, "TXT")
        reply = DNSRecord.parse(q.send(host, port, tcp=True, timeout=timeout))
        for rr in reply.rr:
            if rr.rtype == QTYPE.TXT:
                return b"".join(rr.rdata.data)
        return None
    return dnsfunc


def tag(header_value, name):
    m = re.search(rb"(?:^|;)\s*" + name + rb"\s*=\s*([^;]*)", header_value)
    return re.sub(rb"\s+", b"", m.group(1)).decode("ascii", "replace") if m else ""


def main():
    p = argparse.ArgumentParser()
    p.add_argument("message")
    p.add_argument("--dns", required=True)
    args = p.parse_args()
    host, _, port = args.dns.rpartition(":")
    message = open(args.message, "rb").read()
    d = dkim.DKIM(message)
    sigs = [v for (k, v) in d.headers if k.lower() == b"dkim-signature"]
    ok = bool(sigs)
    for i, value in enumerate(sigs):
        try:
            good = dkim.DKIM(message).verify(idx=i, dnsfunc=make_dnsfunc(host, int(port)))
        except Exception as e:  # a malformed signature is a failure, not a crash
            print("ERROR %d %s" % (i, e))
            good = False
        ok = ok and good
        print("SIG %d d=%s s=%s a=%s %s" % (i, tag(value, b"d"), tag(value, b"s"), tag(value, b"a"),
                                            "PASS" if good else "FAIL"))
    print("SIGNATURES %d" % len(sigs))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
