"""CPython's smtplib sends messages to mail_smtp_server; CPython's poplib reads them
back from mail_pop3_server, byte for byte; DELE takes effect at QUIT only.

usage: test_roundtrip.py SMTP_SERVER POP3_SERVER"""
import poplib
import smtplib
import sys
import tempfile

import lessontest as lt
import mailtest

# Messages as smtplib sends them: CR LF line ends, ending in CR LF.
FIRST = (b"From: ana@example.org\r\nTo: beto@example.org, carla@example.org\r\n"
         b"Subject: Hola\r\n\r\nHola mundo\r\n")
DOTS = (b"From: ana@example.org\r\nTo: beto@example.org\r\nSubject: puntos\r\n\r\n"
        b".una linea que empieza con punto\r\n..dos puntos\r\n.\r\n. \r\nfin\r\n")
EIGHT_BIT = ("From: ana@example.org\r\nTo: beto@example.org\r\nSubject: acentos\r\n"
             "Content-Type: text/plain; charset=utf-8\r\n\r\n"
             "Año, canción, pingüino: ¿qué tal?\r\n" + "x" * 998 + "\r\n").encode("utf-8")


def pop_session(port, user, password="secreto"):
    pop = poplib.POP3("127.0.0.1", port, timeout=10)
    pop.user(user)
    pop.pass_(password)
    return pop


def retr(pop, number):
    """Message NUMBER as it was stored: poplib gives its lines without CR LF (and
    undoes the byte-stuffing)."""
    _, lines, _ = pop.retr(number)
    return b"".join(line + b"\r\n" for line in lines)


def test(smtp_server, pop3_server):
    with tempfile.TemporaryDirectory() as maildir, \
            lt.Server([smtp_server, "127.0.0.1", "0", "--maildir", maildir]) as smtp_srv, \
            lt.Server([pop3_server, "127.0.0.1", "0", "--maildir", maildir]) as pop_srv:
        # 1. smtplib sends three messages: one to two recipients, one with lines that
        #    start with a dot, one with 8-bit text and a 1000-byte line (the limit).
        with smtplib.SMTP("127.0.0.1", smtp_srv.port, timeout=10) as smtp:
            refused = smtp.sendmail("ana@example.org", ["beto@example.org", "Carla@example.org"], FIRST)
            lt.check(refused == {}, "refused recipients: %r" % refused)
            smtp.sendmail("ana@example.org", ["beto@example.org"], DOTS)
            smtp.sendmail("ana@example.org", ["beto@example.org"], EIGHT_BIT)
        smtp_srv.wait_for(r"C: QUIT")  # smtplib's with-block ends with an upper-case QUIT
        smtp_srv.wait_for(r"S: 221 ")
        lt.check(smtp_srv.stderr.count(r"S: 250-SIZE 1048576") == 1, "EHLO does not announce SIZE")
        lt.check(smtp_srv.stderr.count(r"C: mail FROM:<ana@example.org> size=") == 3,
                 "the log does not show smtplib's lower-case commands")
        # On disk, exactly as sent (after dot-unstuffing); Carla's mailbox is "carla".
        lt.check(mailtest.mailbox(maildir, "beto") == [FIRST, DOTS, EIGHT_BIT], "beto's files differ")
        lt.check(mailtest.mailbox(maildir, "carla") == [FIRST], "carla's file differs")

        # 2. poplib reads them back, byte for byte.
        pop = pop_session(pop_srv.port, "beto")
        count, octets = pop.stat()
        lt.check((count, octets) == (3, len(FIRST) + len(DOTS) + len(EIGHT_BIT)),
                 "STAT says %d %d" % (count, octets))
        _, listing, _ = pop.list()
        lt.check(listing == [b"1 %d" % len(FIRST), b"2 %d" % len(DOTS), b"3 %d" % len(EIGHT_BIT)],
                 "LIST says %r" % listing)
        _, uids_before, _ = pop.uidl()
        lt.check(len(set(u.split()[1] for u in uids_before)) == 3, "UIDs not unique: %r" % uids_before)
        for number, message in ((1, FIRST), (2, DOTS), (3, EIGHT_BIT)):
            got = retr(pop, number)
            lt.check(got == message, "RETR %d gave %r, expected %r" % (number, got, message))

        # 3. DELE marks; RSET unmarks; a session that ends without QUIT deletes nothing.
        pop.dele(2)
        lt.check(pop.stat()[0] == 2, "after DELE 2, STAT should say 2")
        try:
            pop.retr(2)
            raise AssertionError("RETR of a deleted message should fail")
        except poplib.error_proto as e:
            lt.check(str(e).startswith("b'-ERR"), "RETR 2: %s" % e)
        pop.rset()
        lt.check(pop.stat()[0] == 3, "RSET should bring message 2 back")
        pop.dele(2)
        pop.close()  # vanish without QUIT (poplib closes the socket, sends nothing)
        pop_srv.wait_for(r"client left without QUIT: nothing deleted")
        pop_srv.wait_for(r"connection closed")
        lt.check(len(mailtest.mailbox(maildir, "beto")) == 3, "a session without QUIT deleted something")

        # 4. DELE then QUIT: only now is the message gone; a new session sees the rest.
        pop = pop_session(pop_srv.port, "beto")
        pop.dele(2)
        lt.check(len(mailtest.mailbox(maildir, "beto")) == 3, "DELE removed the file before QUIT")
        pop.quit()
        lt.check(mailtest.mailbox(maildir, "beto") == [FIRST, EIGHT_BIT], "QUIT did not remove message 2")
        pop = pop_session(pop_srv.port, "beto")
        lt.check(pop.stat() == (2, len(FIRST) + len(EIGHT_BIT)), "new session: STAT %r" % (pop.stat(),))
        lt.check(retr(pop, 1) == FIRST and retr(pop, 2) == EIGHT_BIT, "new session: messages differ")
        _, uids_after, _ = pop.uidl()
        old = [u.split()[1] for u in uids_before]
        lt.check([u.split()[1] for u in uids_after] == [old[0], old[2]], "UIDs changed: %r" % uids_after)

        # 5. The maildrop is locked while a session holds it (RFC 1939).
        try:
            pop_session(pop_srv.port, "beto")
            raise AssertionError("a second session opened a locked maildrop")
        except poplib.error_proto as e:
            lt.check("already in use" in str(e), "second session: %s" % e)
        pop.quit()
        pop_session(pop_srv.port, "beto").quit()  # the lock is released at QUIT

        # 6. Carla has her copy; the wrong password is refused; no password in the log.
        pop = pop_session(pop_srv.port, "carla")
        lt.check(retr(pop, 1) == FIRST, "carla's message differs")
        pop.quit()
        try:
            pop_session(pop_srv.port, "carla", "wrong")
            raise AssertionError("a wrong password was accepted")
        except poplib.error_proto as e:
            lt.check("invalid password" in str(e), "wrong password: %s" % e)
        pop_srv.wait_for(r"wrong password for carla")
        lt.check("secreto" not in pop_srv.stderr.text(), "the log shows the password")
        lt.check(smtp_srv.alive() and pop_srv.alive(), "a server died")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__)
        sys.exit(2)
    lt.main(lambda: test(sys.argv[1], sys.argv[2]))
