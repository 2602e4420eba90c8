#!/usr/bin/python3
"""An authoritative DNS server for Kirim's integration tests, built on Debian's python3-dnslib.

Serves one zone file over UDP and TCP on 127.0.0.1 until SIGTERM (or SIGINT). Once both
sockets listen it prints "PORT <n>" on stdout and flushes, so a test can pass port 0 and learn
the port without a race.

    /usr/bin/python3 dns_server.py zone.txt --port 0 --fail broken.test=SERVFAIL

    ; zone.txt, in master-file syntax (RFC 1035 §5)
    two.test.     300 IN MX 10 mx1.two.test.
    nullmx.test.  300 IN MX 0 .                  ; RFC 7505 null MX
    txt.test.     300 IN TXT "first 255 bytes..." "the rest"

Options:
  ZONE               the zone file to serve
  --port N           port to listen on (UDP and TCP); 0 = let the kernel pick
  --fail NAME=RCODE  answer every query for NAME with RCODE (SERVFAIL, REFUSED, NOTIMP,
                     FORMERR); repeatable
  --udplen N         largest UDP reply; a longer one goes out truncated (TC set) so the client
                     retries over TCP (default 512, RFC 1035 §4.2.1 without EDNS)

Unlike dnslib's own ZoneResolver, which answers NXDOMAIN whenever nothing matches, a name that
exists with other record types gets an empty NOERROR answer (NODATA, RFC 2308 §2.2): Kirim's
resolver reports the two differently and tests check that.

Events on stdout (flushed), for tests to wait on: "PORT <n>" once listening, and
"QUERY <udp|tcp> <name> <type> <rcode>[ TRUNCATED]" after each answer (so a test can see a
TCP retry).

Use /usr/bin/python3: it has Debian's python3-dnslib.
"""

import argparse
import errno
import signal
import sys
import threading

from dnslib import QTYPE, RCODE, RR
from dnslib.server import BaseResolver, DNSLogger, DNSServer

_print_lock = threading.Lock()


def emit(line):
    # Handler threads answer concurrently; one lock keeps event lines whole.
    with _print_lock:
        print(line, flush=True)


class ZoneFileResolver(BaseResolver):
    def __init__(self, records, failures, udplen):
        # DNSLabel compares and hashes case-insensitively (RFC 4343), so lookups ignore case.
        self.records = {}
        for rr in records:
            self.records.setdefault(rr.rname, []).append(rr)
        self.failures = failures
        self.udplen = udplen

    def resolve(self, request, handler):
        reply = request.reply()
        qname = request.q.qname
        qtype = request.q.qtype
        failure = self.failures.get(str(qname).lower().rstrip("."))
        if failure is not None:
            reply.header.rcode = failure
        elif qname not in self.records:
            reply.header.rcode = RCODE.NXDOMAIN
        else:
            for rr in self.records[qname]:
                if rr.rtype == qtype or qtype == QTYPE.ANY or rr.rtype == QTYPE.CNAME:
                    reply.add_answer(rr)
        if handler.protocol == "udp" and self.udplen and len(reply.pack()) > self.udplen:
            # Truncate here rather than with dnslib's DNSHandler.udplen: its truncated reply
            # drops the question section too, and resolvers that match replies to queries by
            # question (c-ares) then discard it instead of retrying over TCP. Real servers keep
            # the question section and set TC (RFC 1035 §4.1.1).
            reply = request.reply()
            reply.header.tc = 1
        emit("QUERY %s %s %s %s%s" % (handler.protocol, qname, QTYPE[qtype],
                                     RCODE[reply.header.rcode],
                                     " TRUNCATED" if reply.header.tc else ""))
        return reply


def parse_failures(specs):
    failures = {}
    for spec in specs:
        name, sep, rcode = spec.partition("=")
        if not sep or not hasattr(RCODE, rcode.upper()):
            sys.exit("bad --fail %r: want NAME=SERVFAIL|REFUSED|NOTIMP|FORMERR" % spec)
        failures[name.lower().rstrip(".")] = getattr(RCODE, rcode.upper())
    return failures


def listen(resolver, port):
    """UDP and TCP servers on the same port; with port 0 the kernel picks the UDP port and we
    retry until the same TCP port is free too."""
    logger = DNSLogger("error", prefix=False, logf=emit)
    for _ in range(50):
        udp = DNSServer(resolver, address="127.0.0.1", port=port, logger=logger)
        chosen = udp.server.server_address[1]
        try:
            tcp = DNSServer(resolver, address="127.0.0.1", port=chosen, tcp=True, logger=logger)
        except OSError as e:
            udp.server.server_close()
            if port == 0 and e.errno == errno.EADDRINUSE:
                continue
            raise
        return udp, tcp, chosen
    sys.exit("no port free for both UDP and TCP")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("zone")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--fail", action="append", default=[])
    p.add_argument("--udplen", type=int, default=512)
    args = p.parse_args()

    with open(args.zone) as f:
        records = RR.fromZone(f.read())
    resolver = ZoneFileResolver(records, parse_failures(args.fail), args.udplen)

    # Block the stop signals before the server threads start (they inherit the mask), so that
    # sigwait below is the one place they arrive.
    stop_signals = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
    udp, tcp, port = listen(resolver, args.port)
    udp.start_thread()
    tcp.start_thread()
    emit("PORT %d" % port)
    signal.sigwait(stop_signals)
    udp.stop()
    tcp.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
