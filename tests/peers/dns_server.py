#!/usr/bin/python3
"""An authoritative DNS server for Kirim's integration tests, built on Debian's python3-dnslib.

Serves one zone file over UDP and TCP on 127.0.0.1 until SIGTERM (or SIGINT). Once both
sockets listen it prints "PORT <n>" on stdout and flushes, so a test can pass port 0 and learn
the port without a race. SIGHUP re-reads the zone file, so a test can change the zone without
restarting the server (and without its port changing).

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

Events on stdout (flushed), for tests to wait on: "PORT <n>" once listening,
"QUERY <udp|tcp> <name> <type> <rcode>[ TRUNCATED]" after each answer (so a test can see a
TCP retry), and after the n-th SIGHUP (n counts from 1) either "RELOADED <n>" once the new zone
is being served, or "RELOAD FAILED <n> <reason>" if the file did not parse (the old zone stays).
Every query that arrives after "RELOADED <n>" is answered from the new zone.

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


def read_zone(path):
    """The records of the zone file at `path`, by owner name. DNSLabel compares and hashes
    case-insensitively (RFC 4343), so lookups ignore case."""
    with open(path) as f:
        records = RR.fromZone(f.read())
    by_name = {}
    for rr in records:
        by_name.setdefault(rr.rname, []).append(rr)
    return by_name


class ZoneFileResolver(BaseResolver):
    def __init__(self, records, failures, udplen):
        # Replaced whole by a reload (one assignment, atomic under the GIL); resolve() reads it
        # once per query, so a query never sees half of one zone and half of the other.
        self.records = records
        self.failures = failures
        self.udplen = udplen

    def resolve(self, request, handler):
        records = self.records
        reply = request.reply()
        qname = request.q.qname
        qtype = request.q.qtype
        failure = self.failures.get(str(qname).lower().rstrip("."))
        if failure is not None:
            reply.header.rcode = failure
        elif qname not in records:
            reply.header.rcode = RCODE.NXDOMAIN
        else:
            for rr in records[qname]:
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

    resolver = ZoneFileResolver(read_zone(args.zone), parse_failures(args.fail), args.udplen)

    # Block the signals before the server threads start (they inherit the mask), so that
    # sigwait below is the one place they arrive. SIGHUP is blocked from here on, so one sent
    # after "PORT" waits for sigwait instead of killing the process (its default action).
    signals = {signal.SIGTERM, signal.SIGINT, signal.SIGHUP}
    signal.pthread_sigmask(signal.SIG_BLOCK, signals)
    udp, tcp, port = listen(resolver, args.port)
    udp.start_thread()
    tcp.start_thread()
    emit("PORT %d" % port)
    # Pending signals of one kind coalesce, so each SIGHUP sender waits for its "RELOADED <n>"
    # before sending the next (DnsPeer::SetZone does); n counts the SIGHUPs handled.
    reloads = 0
    while signal.sigwait(signals) == signal.SIGHUP:
        reloads += 1
        try:
            records = read_zone(args.zone)
        except Exception as e:  # dnslib raises assorted errors on bad zone text
            emit("RELOAD FAILED %d %s" % (reloads, " ".join(str(e).split()) or type(e).__name__))
            continue
        resolver.records = records
        emit("RELOADED %d" % reloads)
    udp.stop()
    tcp.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
