"""Helpers shared by the mail lesson's tests: a raw SMTP/POP3 conversation over a
socket (to send what smtplib and poplib never would), and the files of a maildir."""
import os
import socket

import lessontest as lt


class Dialogue:
    """One TCP connection to a line-based server (SMTP or POP3), read line by line with
    a limit on size (the socket's timeout limits time)."""

    def __init__(self, address, timeout=10.0):
        self.sock = lt.connect(address, timeout)
        self.buffer = b""

    def line(self, limit=4096):
        """The next line, without its CR LF; b"" if the server closed the connection."""
        while b"\r\n" not in self.buffer:
            lt.check(len(self.buffer) < limit, "a reply line longer than %d bytes" % limit)
            chunk = self.sock.recv(4096)
            if not chunk:
                return b""
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line

    def smtp_reply(self):
        """A whole SMTP reply: (code, [text of each line])."""
        texts = []
        for _ in range(100):
            line = self.line()
            lt.check(len(line) >= 3 and line[:3].isdigit(), "not an SMTP reply: %r" % line)
            texts.append(line[4:].decode("utf-8", "replace"))
            if len(line) == 3 or line[3:4] == b" ":
                return int(line[:3]), texts
        raise AssertionError("an SMTP reply of more than 100 lines")

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def smtp(self, command, expect=None):
        """Sends COMMAND (CR LF added) and returns the reply's code; checks it if EXPECT."""
        self.send(command + "\r\n" if isinstance(command, str) else command + b"\r\n")
        code, texts = self.smtp_reply()
        if expect is not None:
            lt.check(code == expect, "%r: expected %d, got %d %s" % (command, expect, code, texts))
        return code

    def pop(self, command, expect_ok=True):
        """Sends a POP3 COMMAND and returns the first line of the reply (bytes)."""
        self.send(command + "\r\n")
        line = self.line()
        if expect_ok is not None:
            want = b"+OK" if expect_ok else b"-ERR"
            lt.check(line.startswith(want), "%r: expected %r, got %r" % (command, want, line))
        return line

    def closed_by_server(self):
        """True when the server has closed the connection (reads and drops what is left)."""
        try:
            for _ in range(1000):
                if not self.sock.recv(4096):
                    return True
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False
        return False

    def close(self):
        self.sock.close()


def mailbox(maildir, user):
    """The messages stored for USER, oldest first, as bytes."""
    folder = os.path.join(maildir, user)
    if not os.path.isdir(folder):
        return []
    names = sorted(n for n in os.listdir(folder) if n.endswith(".eml"))
    result = []
    for name in names:
        with open(os.path.join(folder, name), "rb") as f:
            result.append(f.read())
    return result
