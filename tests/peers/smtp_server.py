#!/usr/bin/python3
"""An aiosmtpd SMTP server for Kirim's integration tests.

Runs on 127.0.0.1 until SIGTERM (or SIGINT). Once it accepts connections it prints
"PORT <n>" on stdout and flushes, so a test can bind port 0 and learn the port without a race.

    /usr/bin/python3 smtp_server.py --port 0 --cert c.pem --key k.pem --require-starttls \
        --auth user:secret --maildir /tmp/mail --reply-rcpt 'bad@x.test=550 5.1.1 No such user'

Options:
  --port N            port to listen on; 0 = let the kernel pick (printed as "PORT <n>")
  --hostname NAME     name in the greeting and EHLO reply (default mx.test)
  --cert/--key FILE   PEM certificate and key; with them STARTTLS is offered (RFC 3207)
  --require-starttls  refuse everything but EHLO/NOOP/QUIT/STARTTLS before TLS (530)
  --implicit-tls      TLS from the first byte (RFC 8314) instead of STARTTLS
  --auth USER:PASS    require AUTH (PLAIN or LOGIN) with these credentials; over TLS only
  --maildir DIR       store each accepted message as DIR/NNNN.eml (the exact bytes received,
                      after dot-unstuffing) and DIR/NNNN.json (mail_from, rcpt_tos,
                      mail_options, login, tls)
  --reply-rcpt A=R    answer RCPT TO:<A> with reply R (repeatable), e.g. 'a@x=550 5.1.1 No such user'
  --reply-data R      answer every completed DATA with reply R, e.g. '451 4.3.0 Try later'
  --reply-data-count N  only the first N completed DATA get --reply-data; later ones are stored
  --stall-data N      hold the reply to the first N completed DATA forever (the message is not
                      stored): a relay that hangs after the content, for crash/timeout tests
  --stall-mid-data N  in the first N DATA commands, answer 354, read the first line of the
                      content and then nothing more, forever: a relay that stalls mid-DATA (the
                      final "." never arrives, so the message was not received)
  --drop-after-data N  for the first N completed DATA, read the whole content (up to the final
                      ".") and then drop the connection without a reply: the sender cannot know
                      that the relay received it (the duplicate window of RFC 5321 §4.1.1.4)
  --no-smtputf8       do not offer SMTPUTF8 (RFC 6531), which aiosmtpd's Controller offers by
                      default: a server that only takes ASCII addresses

Events on stdout (flushed), for tests to wait on: "PORT <n>" once listening, "EHLO <name>" for
every EHLO (one per session, two with STARTTLS), "RSET" for every RSET, "ID <message-id>" then
"RECEIVED <name>" after a message is accepted (stored when --maildir is given; <message-id> is
its Message-ID header, "-" if it has none), "REFUSED <reply>" after a DATA is refused, "STALLED
<k>" when a DATA reply is being held, "STALLED-MID-DATA <k>" when a DATA stalls mid-content,
"DROPPED <k> <message-id>" when a connection is dropped after a complete DATA.

Use /usr/bin/python3: it has Debian's python3-aiosmtpd.
"""

import argparse
import asyncio
import json
import logging
import os
import re
import signal
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

_MESSAGE_ID = re.compile(rb"^Message-ID:[ \t]*(\S+)", re.IGNORECASE | re.MULTILINE)


def message_id(content):
    """The Message-ID header of a message (its header section only), "-" if it has none."""
    header, _, _ = content.partition(b"\r\n\r\n")
    m = _MESSAGE_ID.search(header)
    return m.group(1).decode("ascii", "replace") if m else "-"


class Handler:
    def __init__(self, maildir, rcpt_replies, data_reply, implicit_tls, stall_data=0,
                 data_reply_count=None, stall_mid_data=0, drop_after_data=0):
        self.stall_data = stall_data
        self.stall_mid_data = stall_mid_data
        self.stalled_mid_data = 0
        self.drop_after_data = drop_after_data
        self.dropped = 0
        self.data_reply_count = data_reply_count
        self.data_replied = 0
        self.stalled = 0
        self.maildir = maildir
        self.rcpt_replies = rcpt_replies
        self.data_reply = data_reply
        self.implicit_tls = implicit_tls
        self.count = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        print("EHLO %s" % hostname, flush=True)
        return responses

    async def handle_RSET(self, server, session, envelope):
        print("RSET", flush=True)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.rcpt_replies.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.stalled < self.stall_data:
            self.stalled += 1
            print("STALLED %d" % self.stalled, flush=True)
            await asyncio.Event().wait()  # never set: the client times out or dies
        if self.dropped < self.drop_after_data:
            self.dropped += 1
            print("DROPPED %d %s" % (self.dropped, message_id(envelope.original_content)),
                  flush=True)
            # No reply at all: the connection ends right after the final ".". aiosmtpd cancels
            # this handler when it sees the connection go.
            server.transport.abort()
            await asyncio.Event().wait()
        if self.data_reply and (self.data_reply_count is None
                                or self.data_replied < self.data_reply_count):
            self.data_replied += 1
            print("REFUSED %s" % self.data_reply, flush=True)
            return self.data_reply
        self.count += 1
        name = "%04d" % self.count
        if self.maildir:
            login = None
            if isinstance(session.auth_data, LoginPassword):
                login = session.auth_data.login.decode("utf-8", "replace")
            meta = {
                "mail_from": envelope.mail_from,
                "rcpt_tos": envelope.rcpt_tos,
                "mail_options": envelope.mail_options,
                "login": login,
                "tls": self.implicit_tls or session.ssl is not None,
            }
            # Write under a temporary name, then rename: a reader never sees half a file, and
            # both files exist before the client gets its 250.
            _write_atomically(os.path.join(self.maildir, name + ".eml"),
                              envelope.original_content)
            _write_atomically(os.path.join(self.maildir, name + ".json"),
                              json.dumps(meta, sort_keys=True).encode())
        print("ID %s" % message_id(envelope.original_content), flush=True)
        print("RECEIVED %s" % name, flush=True)
        return "250 2.0.0 OK: queued as " + name


def _write_atomically(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.rename(tmp, path)


class FaultySMTP(SMTP):
    """aiosmtpd's SMTP with one more fault: a DATA that stalls mid-content (--stall-mid-data)."""

    async def smtp_DATA(self, arg):
        handler = self.event_handler
        if (handler.stalled_mid_data >= handler.stall_mid_data or arg
                or not self.envelope.rcpt_tos or await self.check_helo_needed()
                or await self.check_auth_needed("DATA")):
            return await super().smtp_DATA(arg)
        handler.stalled_mid_data += 1
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        await self._reader.readuntil(b"\r\n")  # the first line of the content, then no more
        print("STALLED-MID-DATA %d" % handler.stalled_mid_data, flush=True)
        await asyncio.Event().wait()  # never set: the client times out; the session is cancelled


class PortReportingController(Controller):
    """A Controller that can listen on port 0.

    aiosmtpd connects to its own port once after binding (to trigger lazy set-up); with port 0
    that would go to port 0, so learn the real port from the bound socket first.
    """

    def factory(self):
        return FaultySMTP(self.handler, **self.SMTP_kwargs)

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class _QuietDeprecations(logging.Filter):
    """aiosmtpd warns about its own use of Session.login_data on every AUTH; that is not news."""

    def filter(self, record):
        return "is deprecated" not in record.getMessage()


def make_authenticator(user, password):
    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login == user.encode()
              and auth_data.password == password.encode())
        # handled=False lets aiosmtpd send its own 535; handled=True would leave the client
        # waiting for a reply that never comes.
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)
    return authenticator


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--hostname", default="mx.test")
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--require-starttls", action="store_true")
    parser.add_argument("--implicit-tls", action="store_true")
    parser.add_argument("--auth")
    parser.add_argument("--maildir")
    parser.add_argument("--reply-rcpt", action="append", default=[])
    parser.add_argument("--reply-data")
    parser.add_argument("--stall-data", type=int, default=0)
    parser.add_argument("--reply-data-count", type=int)
    parser.add_argument("--stall-mid-data", type=int, default=0)
    parser.add_argument("--drop-after-data", type=int, default=0)
    parser.add_argument("--no-smtputf8", action="store_true")
    args = parser.parse_args()

    if (args.require_starttls or args.implicit_tls) and not (args.cert and args.key):
        parser.error("--require-starttls and --implicit-tls need --cert and --key")
    rcpt_replies = {}
    for item in args.reply_rcpt:
        address, sep, reply = item.partition("=")
        if not sep or not reply:
            parser.error("--reply-rcpt wants ADDRESS=REPLY, got %r" % item)
        rcpt_replies[address.lower()] = reply
    if args.maildir:
        os.makedirs(args.maildir, exist_ok=True)

    tls_context = None
    if args.cert and args.key:
        tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls_context.load_cert_chain(args.cert, args.key)

    kwargs = {
        "hostname": "127.0.0.1",
        "port": args.port,
        "server_hostname": args.hostname,
        "ready_timeout": 30,
    }
    if args.no_smtputf8:
        kwargs["enable_SMTPUTF8"] = False
    if args.implicit_tls:
        kwargs["ssl_context"] = tls_context
    elif tls_context is not None:
        kwargs["tls_context"] = tls_context
        kwargs["require_starttls"] = args.require_starttls
    if args.auth:
        user, sep, password = args.auth.partition(":")
        if not sep:
            parser.error("--auth wants USER:PASS")
        kwargs["auth_required"] = True
        # aiosmtpd only knows about STARTTLS; with implicit TLS every connection is TLS already.
        kwargs["auth_require_tls"] = not args.implicit_tls
        kwargs["authenticator"] = make_authenticator(user, password)

    logging.getLogger("mail.log").addFilter(_QuietDeprecations())
    handler = Handler(args.maildir, rcpt_replies, args.reply_data, args.implicit_tls,
                      args.stall_data, args.reply_data_count, args.stall_mid_data,
                      args.drop_after_data)
    # Block the stop signals before the server thread starts (it inherits the mask), so that
    # only sigwait() below receives them.
    stop_signals = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
    controller = PortReportingController(handler, **kwargs)
    controller.start()
    print("PORT %d" % controller.port, flush=True)
    signal.sigwait(stop_signals)
    controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
