"""mail_send, the hand-written SMTP client: against mail_smtp_server (the message
arrives, the dialogue is printed) and against small SMTP peers written here that
refuse a step, greet badly or hang up (mail_send says which step failed, exit 1).

usage: test_send.py MAIL_SEND SMTP_SERVER"""
import socket
import sys
import tempfile
import threading

import lessontest as lt
import mailtest


class Peer:
    """A one-connection SMTP peer: sends GREETING, then answers each command line
    with REPLIES[verb] (default "250 OK"); records the commands it received."""

    def __init__(self, greeting=b"220 peer ready\r\n", replies=None, hang_up_after_greeting=False):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(10)
        self.port = self.listener.getsockname()[1]
        self.commands = []
        self.error = None
        self.thread = threading.Thread(target=self._serve, daemon=True,
                                       args=(greeting, replies or {}, hang_up_after_greeting))
        self.thread.start()

    def _serve(self, greeting, replies, hang_up):
        try:
            conn, _ = self.listener.accept()
            with conn:
                conn.settimeout(10)
                conn.sendall(greeting)
                if hang_up:
                    return
                buffer, in_data = b"", False
                while len(buffer) < 100000:
                    chunk = conn.recv(4096)
                    if not chunk:
                        return
                    buffer += chunk
                    while b"\r\n" in buffer:
                        line, buffer = buffer.split(b"\r\n", 1)
                        if in_data:
                            if line == b".":
                                in_data = False
                                conn.sendall(b"250 queued\r\n")
                            continue
                        self.commands.append(line.decode())
                        verb = line.split(b" ")[0].upper().decode()
                        reply = replies.get(verb, {"DATA": b"354 go on\r\n", "QUIT": b"221 bye\r\n"}
                                            .get(verb, b"250 OK\r\n"))
                        conn.sendall(reply)
                        in_data = verb == "DATA" and reply.startswith(b"354")
                        if verb == "QUIT":
                            return
        except Exception as e:  # noqa: BLE001 - the test reports it
            self.error = e
        finally:
            self.listener.close()

    def join(self):
        self.thread.join(10)
        lt.check(not self.thread.is_alive(), "the peer is still running")
        lt.check(self.error is None, "the peer failed: %r" % self.error)


def send(mail_send, port, *extra):
    return lt.run([mail_send, "127.0.0.1", str(port), "--from", "ana@example.org"] + list(extra), timeout=30)


def test(mail_send, smtp_server):
    # The command line.
    r = lt.run([mail_send, "--help"])
    lt.check(r.returncode == 0 and b"usage:" in r.stdout, "--help")
    for bad in ([], ["127.0.0.1", "2525"], ["127.0.0.1", "x", "--from", "a@b", "--to", "c@d"],
                ["127.0.0.1", "2525", "--from", "a@b", "--to"]):
        r = lt.run([mail_send] + bad)
        lt.check(r.returncode == 2 and b"usage:" in r.stderr, "%s: exit %d" % (bad, r.returncode))

    # Against the lesson's server: the dialogue, and the message on disk.
    with tempfile.TemporaryDirectory() as maildir, \
            lt.Server([smtp_server, "127.0.0.1", "0", "--maildir", maildir]) as srv:
        r = send(mail_send, srv.port, "--to", "beto@example.org", "--to", "carla@example.org",
                 "--subject", "Prueba", "Hola mundo\n.linea con punto\nAdiós")
        out = r.stdout.decode("utf-8")
        print(out)
        lt.check(r.returncode == 0, "mail_send failed: %s" % r.stderr)
        lines = out.splitlines()
        expected = ["S: 220 ", "C: HELO ", "S: 250 ", "C: MAIL FROM:<ana@example.org>", "S: 250 ",
                    "C: RCPT TO:<beto@example.org>", "S: 250 ", "C: RCPT TO:<carla@example.org>", "S: 250 ",
                    "C: DATA", "S: 354 ", "C: From: ana@example.org",
                    "C: To: beto@example.org, carla@example.org", "C: Subject: Prueba", "C: Date: ", "C: ",
                    "C: Hola mundo", "C: ..linea con punto", "C: Adiós", "C: .", "S: 250 ", "C: QUIT",
                    "S: 221 ", "mail sent"]
        lt.check(len(lines) == len(expected), "%d lines printed, expected %d" % (len(lines), len(expected)))
        for got, want in zip(lines, expected):
            lt.check(got.startswith(want), "printed %r, expected %r..." % (got, want))
        for user in ("beto", "carla"):
            stored = mailtest.mailbox(maildir, user)
            lt.check(len(stored) == 1 and stored[0].endswith(
                "\r\n\r\nHola mundo\r\n.linea con punto\r\nAdiós\r\n".encode("utf-8")),
                "%s: stored %r" % (user, stored))
        # The server refuses a recipient: the error names the step.
        r = send(mail_send, srv.port, "--to", "../x@example.org")
        lt.check(r.returncode == 1 and b'refused "RCPT TO:<../x@example.org>"' in r.stderr
                 and b"S: 553 " in r.stdout and b"C: QUIT" in r.stdout, "553: %r %r" % (r.stdout, r.stderr))

    # A peer written here that refuses RCPT with 550: exit 1, QUIT said anyway.
    peer = Peer(replies={"RCPT": b"550 no such user here\r\n"})
    r = send(mail_send, peer.port, "--to", "nadie@example.org")
    peer.join()
    lt.check(r.returncode == 1, "refused RCPT: exit %d" % r.returncode)
    lt.check(b'refused "RCPT TO:<nadie@example.org>" (it replied 550, expected 250)' in r.stderr,
             "stderr: %r" % r.stderr)
    lt.check(b"S: 550 no such user here" in r.stdout, "stdout: %r" % r.stdout)
    lt.check(peer.commands[-1] == "QUIT" and not any(c == "DATA" for c in peer.commands),
             "peer saw %r" % peer.commands)

    # A peer that refuses the message after DATA, with a multi-line reply to HELO.
    peer = Peer(replies={"HELO": b"250-peer\r\n250-more\r\n250 last\r\n"})
    peer_data = Peer(replies={"DATA": b"554 no thanks\r\n"})
    r = send(mail_send, peer.port, "--to", "x@example.org")
    peer.join()
    lt.check(r.returncode == 0 and b"S: 250 last" in r.stdout, "multi-line reply: %r" % r.stdout)
    r = send(mail_send, peer_data.port, "--to", "x@example.org")
    peer_data.join()
    lt.check(r.returncode == 1 and b'refused "DATA"' in r.stderr, "DATA refused: %r" % r.stderr)

    # A peer that is not ready, one that hangs up, one that speaks nonsense.
    for kwargs, words in (({"greeting": b"554 go away\r\n"}, b"not ready"),
                          ({"greeting": b"", "hang_up_after_greeting": True}, b"closed the connection"),
                          ({"greeting": b"HTTP/1.1 400 Bad Request\r\n"}, b"not an SMTP reply")):
        peer = Peer(**kwargs)
        r = send(mail_send, peer.port, "--to", "x@example.org")
        peer.join()
        lt.check(r.returncode == 1 and words in r.stderr, "%r: %d %r" % (kwargs, r.returncode, r.stderr))

    # Nobody listening: the connection is refused, exit 1.
    closed = socket.create_server(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    r = send(mail_send, port, "--to", "x@example.org")
    lt.check(r.returncode == 1 and b"refused" in r.stderr.lower(), "no server: %r" % r.stderr)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__)
        sys.exit(2)
    lt.main(lambda: test(sys.argv[1], sys.argv[2]))
