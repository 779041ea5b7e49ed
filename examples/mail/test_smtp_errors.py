"""mail_smtp_server against clients that do things wrong: commands out of order,
garbage, lines too long, a message too big, a client that stalls mid-DATA, one that
vanishes and one that sends a command a byte at a time. Each gets the right reply
code, and none hurts the other clients.

usage: test_smtp_errors.py SMTP_SERVER"""
import select
import smtplib
import socket
import struct
import sys
import tempfile
import threading
import time

import lessontest as lt
import mailtest

MESSAGE = b"Subject: ok\r\n\r\nHola mundo\r\n"


def greeted(port, command="EHLO test"):
    d = mailtest.Dialogue(("127.0.0.1", port))
    code, _ = d.smtp_reply()
    lt.check(code == 220, "greeting %d" % code)
    if command:
        d.smtp(command, 250)
    return d


def command_line(smtp_server):
    r = lt.run([smtp_server, "--help"])
    lt.check(r.returncode == 0 and b"./maildir" in r.stdout, "--help: %r" % r.stdout)
    for bad in (["--nope"], ["127.0.0.1", "99999"], ["--max-size", "x"], ["a", "1", "extra"]):
        r = lt.run([smtp_server] + bad)
        lt.check(r.returncode == 2 and b"usage:" in r.stderr, "%s: exit %d %r" % (bad, r.returncode, r.stderr))


def order_and_garbage(port, maildir):
    d = greeted(port, None)
    d.smtp("MAIL FROM:<ana@example.org>", 503)   # before EHLO
    d.smtp("RCPT TO:<beto@example.org>", 503)    # before MAIL
    d.smtp("DATA", 503)                          # before MAIL
    d.smtp("EHLO", 501)                          # no name
    d.smtp("helo test", 250)                     # verbs in any case
    d.smtp("rcpt TO:<beto@example.org>", 503)
    d.smtp("MAIL ana@example.org", 501)          # no FROM:
    d.smtp("MAIL FROM:ana@example.org", 501)     # no < >
    d.smtp("MAIL FROM:<ana@example.org> FOO=1", 555)
    d.smtp("MAIL FROM:<ana@example.org> SIZE=lots", 501)
    d.smtp("MAIL FROM:<ana@example.org>", 250)
    d.smtp("MAIL FROM:<ana@example.org>", 503)   # nested MAIL
    d.smtp("DATA", 503)                          # no RCPT yet
    d.smtp("RCPT TO:<>", 501)
    d.smtp("RCPT TO:<../etc@example.org>", 553)  # not a mailbox name: no folder outside DIR
    d.smtp("RCPT TO:<a/b@example.org>", 553)
    d.smtp("RCPT TO:<beto@example.org>", 250)
    d.smtp("DATA now", 501)
    d.smtp("RSET", 250)
    d.smtp("DATA", 503)                          # RSET forgot MAIL and RCPT
    d.smtp("FROB", 500)
    d.smtp(b"\x00\xff\x1b[2J", 500)              # garbage bytes
    d.smtp("HELP", 502)
    d.smtp("STARTTLS", 502)
    d.smtp("VRFY beto", 252)
    d.smtp("noop", 250)
    d.send(b"NOOP\n")                            # a bare LF, as plain nc sends
    code, texts = d.smtp_reply()
    lt.check(code == 500 and "nc -C" in texts[0], "bare LF: %d %s" % (code, texts))
    # TCP is a byte stream: three commands in one send, and one command a byte at a time.
    d.send(b"NOOP\r\nNOOP 2\r\nNOOP 3\r\n")
    lt.check([d.smtp_reply()[0] for _ in range(3)] == [250, 250, 250], "three commands in one send")
    for byte in b"RSET\r\n":
        d.send(bytes([byte]))
    lt.check(d.smtp_reply()[0] == 250, "a command sent a byte at a time")
    d.smtp("QUIT", 221)
    lt.check(d.closed_by_server(), "QUIT did not close the connection")
    d.close()
    lt.check(mailtest.mailbox(maildir, "beto") == [], "something was stored")


def limits(port, maildir):
    d = greeted(port)
    d.smtp("NOOP " + "x" * 505, 250)              # 512 bytes with CR LF: allowed
    d.smtp("NOOP " + "x" * 506, 500)              # 513: too long
    d.smtp("NOOP " + "x" * 100000, 500)           # far too long: thrown away, no memory kept
    d.smtp("NOOP", 250)                           # and the dialogue goes on
    # SIZE announced in advance (RFC 1870), as smtplib does.
    d.smtp("MAIL FROM:<ana@example.org> SIZE=2001", 552)
    # A message over --max-size without SIZE: read to the end, then 552.
    d.smtp("MAIL FROM:<ana@example.org>", 250)
    d.smtp("RCPT TO:<beto@example.org>", 250)
    d.smtp("DATA", 354)
    d.send(b"Subject: big\r\n\r\n" + (b"0123456789" * 10 + b"\r\n") * 30 + b".\r\n")
    lt.check(d.smtp_reply()[0] == 552, "too big: expected 552")
    # A text line over 1000 bytes: read to the end, then 500.
    d.smtp("MAIL FROM:<ana@example.org>", 250)
    d.smtp("RCPT TO:<beto@example.org>", 250)
    d.smtp("DATA", 354)
    d.send(b"Subject: long\r\n\r\n" + b"y" * 999 + b"\r\n.\r\n")
    lt.check(d.smtp_reply()[0] == 500, "long line: expected 500")
    d.smtp("RCPT TO:<beto@example.org>", 503)  # the transaction is over
    # 100 recipients are fine, the 101st is not.
    d.smtp("MAIL FROM:<ana@example.org>", 250)
    for i in range(100):
        d.smtp("RCPT TO:<u%d@example.org>" % i, 250)
    d.smtp("RCPT TO:<u100@example.org>", 452)
    d.smtp("QUIT", 221)
    d.close()
    lt.check(mailtest.mailbox(maildir, "beto") == [], "a refused message was stored")
    # smtplib, told SIZE 2000, says size=... and gets 552 before sending anything.
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        try:
            smtp.sendmail("ana@example.org", ["beto@example.org"], b"x" * 2500 + b"\r\n")
            raise AssertionError("smtplib sent a message over SIZE")
        except smtplib.SMTPSenderRefused as e:
            lt.check(e.smtp_code == 552, "smtplib: %s" % e)
        smtp.sendmail("ana@example.org", ["beto@example.org"], MESSAGE)  # and the next one is fine
    lt.check(mailtest.mailbox(maildir, "beto") == [MESSAGE], "the small message was not stored")


def stall_and_vanish(smtp_server):
    with tempfile.TemporaryDirectory() as maildir, \
            lt.Server([smtp_server, "127.0.0.1", "0", "--maildir", maildir, "--timeout", "1"]) as srv:
        # A stalls in the middle of DATA, half a line sent.
        stalled = greeted(srv.port)
        stalled.smtp("MAIL FROM:<ana@example.org>", 250)
        stalled.smtp("RCPT TO:<stalled@example.org>", 250)
        stalled.smtp("DATA", 354)
        stalled.send(b"Subject: never finished\r\n\r\nhalf a li")
        started = time.monotonic()
        # B vanishes mid-DATA; C resets the connection (RST) mid-DATA.
        for user, reset in (("vanished", False), ("reset", True)):
            d = greeted(srv.port)
            d.smtp("MAIL FROM:<ana@example.org>", 250)
            d.smtp("RCPT TO:<%s@example.org>" % user, 250)
            d.smtp("DATA", 354)
            d.send(b"Subject: gone\r\n\r\nfirst line\r\n")
            if reset:  # SO_LINGER 0: close() sends RST instead of FIN
                d.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            d.close()
        srv.wait_for(r"client left in the middle of DATA: message thrown away")
        # Meanwhile D sends a whole message, in threads alongside, without waiting.
        errors = []

        def send_one(i):
            try:
                with smtplib.SMTP("127.0.0.1", srv.port, timeout=10) as smtp:
                    smtp.sendmail("ana@example.org", ["ok%d@example.org" % i], MESSAGE)
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(e)
        threads = [threading.Thread(target=send_one, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(20)
        lt.check(errors == [], "other clients failed: %r" % errors)
        for i in range(4):
            lt.check(mailtest.mailbox(maildir, "ok%d" % i) == [MESSAGE], "ok%d: not stored" % i)
        # The stalled client is disconnected after --timeout (1 s), with a 421.
        code, texts = stalled.smtp_reply()
        lt.check(code == 421, "stalled client: %d %s" % (code, texts))
        lt.check(stalled.closed_by_server(), "the stalled connection stayed open")
        lt.check(time.monotonic() - started < 8, "the timeout took too long")
        srv.wait_for(r"client silent for 1 s: disconnected")
        for user in ("stalled", "vanished", "reset"):
            lt.check(mailtest.mailbox(maildir, user) == [], "%s: half a message was stored" % user)
        lt.check(srv.alive(), "the server died")


def trickle(smtp_server):
    """A command sent a byte every 0.4 s: each recv() waits less than the timeout (1 s),
    but the whole line takes longer. Disconnected with a 421, instead of a connection
    kept for as long as the client keeps trickling."""
    with tempfile.TemporaryDirectory() as maildir, \
            lt.Server([smtp_server, "127.0.0.1", "0", "--maildir", maildir, "--timeout", "1"]) as srv:
        slow = greeted(srv.port)
        started = time.monotonic()
        answered = None  # when the server spoke, while the client was still trickling
        for byte in b"NOOP and on and on":  # 18 bytes: 7 s, were they all sent
            if select.select([slow.sock], [], [], 0)[0]:
                answered = time.monotonic() - started
                break
            try:
                slow.send(bytes([byte]))
            except OSError:  # closed by the server: the point of this test
                answered = time.monotonic() - started
                break
            time.sleep(0.4)  # pacing the client, not waiting for the server
        lt.check(answered is not None and answered < 4, "still reading the trickled line after %s s" % answered)
        code, texts = slow.smtp_reply()
        lt.check(code == 421, "a line sent a byte at a time: %d %s" % (code, texts))
        lt.check(slow.closed_by_server(), "the trickling connection stayed open")
        srv.wait_for(r"client took more than 1 s to send a line: disconnected")
        lt.check(srv.alive(), "the server died")


def pause_then_pieces(smtp_server):
    """The silence before a line is not part of the line: quiet for most of the
    timeout (2 s), then a command in four pieces 0.3 s apart, is answered."""
    with tempfile.TemporaryDirectory() as maildir, \
            lt.Server([smtp_server, "127.0.0.1", "0", "--maildir", maildir, "--timeout", "2"]) as srv:
        d = greeted(srv.port)
        time.sleep(1.5)  # quiet, but less than --timeout
        for piece in (b"NO", b"O", b"P", b"\r\n"):
            d.send(piece)
            time.sleep(0.3)  # pacing the client, not waiting for the server
        code, texts = d.smtp_reply()
        lt.check(code == 250, "a command in pieces after a pause: %d %s" % (code, texts))
        d.smtp("QUIT", 221)


def test(smtp_server):
    command_line(smtp_server)
    with tempfile.TemporaryDirectory() as maildir, \
            lt.Server([smtp_server, "127.0.0.1", "0", "--maildir", maildir, "--max-size", "2000"]) as srv:
        order_and_garbage(srv.port, maildir)
        limits(srv.port, maildir)
        srv.wait_for(r"S: 250-SIZE 2000")
        lt.check(srv.alive(), "the server died")
    stall_and_vanish(smtp_server)
    trickle(smtp_server)
    pause_then_pieces(smtp_server)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    lt.main(lambda: test(sys.argv[1]))
