"""mail_pop3_server against clients that do things wrong: wrong password, commands
before logging in, unknown commands and message numbers, long lines, a bare LF, a
client that stalls. Every refusal is "-ERR", and nobody hurts the others. Also: RETR
byte-stuffs and sends CR LF even for a stored file with bare LF line ends.

usage: test_pop3_errors.py POP3_SERVER"""
import os
import poplib
import sys
import tempfile
import time

import lessontest as lt
import mailtest


def logged_in(port, user="ana", password="abc 123"):
    d = mailtest.Dialogue(("127.0.0.1", port))
    lt.check(d.line().startswith(b"+OK"), "no +OK greeting")
    d.pop("USER " + user)
    d.pop("PASS " + password)
    return d


def multiline(d):
    """The lines of a multi-line reply after its +OK line, up to the final "."."""
    lines = []
    for _ in range(10000):
        line = d.line()
        if line == b".":
            return lines
        lines.append(line)
    raise AssertionError("a reply without its final '.'")


def test(pop3_server):
    r = lt.run([pop3_server, "--help"])
    lt.check(r.returncode == 0 and b"secreto" in r.stdout and b"./maildir" in r.stdout, "--help: %r" % r.stdout)
    r = lt.run([pop3_server, "--password"])
    lt.check(r.returncode == 2 and b"usage:" in r.stderr, "missing value: exit %d" % r.returncode)

    with tempfile.TemporaryDirectory() as maildir:
        folder = os.path.join(maildir, "ana")
        os.mkdir(folder)
        # A file with bare LF line ends, a dot line and no final line end; a .tmp
        # file (a message still being written) that must not be listed.
        first, second = b"Subject: a\n\n.punto\nultima", b"Subject: b\r\n\r\nsegundo\r\n"
        with open(os.path.join(folder, "00000000000000000001-000001.eml"), "wb") as f:
            f.write(first)
        with open(os.path.join(folder, "00000000000000000002-000002.eml"), "wb") as f:
            f.write(second)
        with open(os.path.join(folder, "00000000000000000003-000003.tmp"), "wb") as f:
            f.write(b"half")

        with lt.Server([pop3_server, "127.0.0.1", "0", "--maildir", maildir,
                        "--password", "abc 123", "--timeout", "1"]) as srv:
            # Before logging in, only USER, PASS and QUIT.
            d = mailtest.Dialogue(("127.0.0.1", srv.port))
            d.line()
            for command in ("STAT", "LIST", "RETR 1", "DELE 1", "NOOP", "PASS abc 123", "CAPA", "XYZZY"):
                d.pop(command, expect_ok=False)
            d.pop("USER ../etc", expect_ok=False)
            d.pop("USER ana")
            d.pop("PASS secreto", expect_ok=False)   # wrong: back to USER
            d.pop("PASS abc 123", expect_ok=False)   # USER is needed again
            d.pop("USER ANA")                         # any case: the mailbox is "ana"
            ok = d.pop("PASS abc 123")
            lt.check(ok == b"+OK ana has 2 messages (%d octets)" % (len(first) + len(second)), "login: %r" % ok)
            # Numbers that name no message, commands this lesson leaves out.
            for command in ("RETR 0", "RETR 3", "RETR x", "RETR", "DELE 99", "LIST 3", "TOP 1 1",
                            "APOP ana 0123", "USER ana"):
                d.pop(command, expect_ok=False)
            # RETR: CR LF line ends and byte-stuffing on the wire, whatever the file has.
            d.pop("RETR 1")
            lt.check(d.line() == b"Subject: a" and d.line() == b"" and d.line() == b"..punto"
                     and d.line() == b"ultima" and d.line() == b".", "RETR 1 on the wire differs")
            d.pop("UIDL 2")
            d.pop("LIST")
            lt.check(multiline(d) == [b"1 %d" % len(first), b"2 %d" % len(second)], "LIST differs")
            d.pop("DELE 1")
            d.pop("DELE 1", expect_ok=False)          # already deleted
            d.pop("RETR 1", expect_ok=False)
            d.pop("UIDL")
            lt.check(multiline(d) == [b"2 00000000000000000002-000002"], "UIDL after DELE differs")
            # Long lines and a bare LF.
            d.pop("NOOP " + "x" * 300, expect_ok=False)
            d.pop("NOOP")
            d.send(b"NOOP\n")
            lt.check(b"nc -C" in d.line(), "bare LF accepted")
            d.pop("noop")                             # verbs in any case
            # A second client stalls; the first one goes on.
            stalled = mailtest.Dialogue(("127.0.0.1", srv.port))
            stalled.send(b"USER an")
            started = time.monotonic()
            d.pop("STAT")
            d.pop("QUIT")
            lt.check(mailtest.mailbox(maildir, "ana") == [second],
                     "QUIT did not remove message 1")
            lt.check(stalled.line().startswith(b"+OK"), "no greeting for the stalled client")
            lt.check(stalled.closed_by_server(), "the stalled client was not disconnected")
            lt.check(time.monotonic() - started < 8, "the timeout took too long")
            srv.wait_for(r"client silent for 1 s: disconnected, nothing deleted")
            # poplib sees the wrong password as error_proto.
            pop = poplib.POP3("127.0.0.1", srv.port, timeout=10)
            pop.user("ana")
            try:
                pop.pass_("secreto")
                raise AssertionError("poplib logged in with a wrong password")
            except poplib.error_proto as e:
                lt.check("-ERR invalid password" in str(e), "poplib: %s" % e)
            pop.user("ana")
            pop.pass_("abc 123")
            lt.check(pop.stat() == (1, len(second)), "poplib STAT after the wrong password")
            pop.quit()
            lt.check("abc 123" not in srv.stderr.text(), "the log shows the password")
            lt.check(srv.alive(), "the server died")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    lt.main(lambda: test(sys.argv[1]))
