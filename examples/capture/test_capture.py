"""Tests of examples/capture/capture.sh: the report's Wireshark step, checked frame by
frame in the .pcapng files it saves (read back with tshark, not from its printout).

  tcp      SYN, SYN-ACK, ACK, 10 bytes each way, then a FIN each way, in that order,
           all between the client's port and the server's port
  udp      exactly two datagrams of 10 bytes: the message and its echo
  refused  SYN, then RST from the closed port
  rst      the conversation ends with the client's RST, and nobody sends a FIN

Linux only, and only where tshark may capture (root in CI): otherwise it exits 77
(skipped) and says why.

usage: test_capture.py --script capture.sh --tcp-server EXE --tcp-client EXE
                       --udp-server EXE --udp-client EXE --rst-client EXE
"""
import argparse
import os
import re
import sys
import tempfile

import lessontest as lt

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def parse_args():
    parser = argparse.ArgumentParser()
    for name in ("script", "tcp-server", "tcp-client", "udp-server", "udp-client", "rst-client"):
        parser.add_argument("--" + name, required=True)
    return parser.parse_args()


class Frame:
    """One captured frame: who sent it (ports), TCP flags, and payload length."""

    def __init__(self, fields):
        (self.number, self.length, tsport, tdport, usport, udport, flags, tlen, ulen) = fields
        self.src = int(tsport or usport)
        self.dst = int(tdport or udport)
        self.flags = int(flags, 16) if flags else 0
        self.payload = int(tlen) if tlen else (int(ulen) - 8 if ulen else 0)

    def has(self, flags):
        return self.flags & flags == flags

    def __repr__(self):
        return "#%s %d->%d flags=0x%02x len=%d" % (self.number, self.src, self.dst, self.flags,
                                                  self.payload)


def read_frames(tshark, pcapng):
    result = lt.run([tshark, "-r", pcapng, "-T", "fields", "-E", "separator=,",
                     "-e", "frame.number", "-e", "frame.len",
                     "-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "udp.srcport",
                     "-e", "udp.dstport", "-e", "tcp.flags", "-e", "tcp.len", "-e", "udp.length"])
    lt.check(result.returncode == 0, "tshark -r %s failed: %s" % (pcapng, result.stderr))
    lines = result.stdout.decode().splitlines()
    return [Frame(line.split(",")) for line in lines if line.strip()]


def capture(args, mode, folder, extra=()):
    """Runs capture.sh MODE; returns (its output, the frames of the file it saved, the
    server's port). Skips the whole test when capture.sh says it cannot capture here."""
    out = os.path.join(folder, mode + ".pcapng")
    build = os.path.dirname(os.path.abspath(args.tcp_server))
    result = lt.run(["bash", args.script, mode, "--out", out, "--build", build, *extra], timeout=90)
    text = result.stdout.decode() + result.stderr.decode()
    print("---- capture.sh %s (exit code %d)\n%s" % (mode, result.returncode, text), flush=True)
    if result.returncode == lt.SKIP:
        lt.skip("capture.sh cannot capture here: " + text.strip().splitlines()[0])
    lt.check(result.returncode == 0, "capture.sh %s exited with %d" % (mode, result.returncode))
    match = re.search(r"127\.0\.0\.1, port (\d+), interface", text)
    lt.check(match is not None, "capture.sh did not say the port")
    port = int(match.group(1))
    lt.check("Saved / guardado: " + out in text, "capture.sh did not say where it saved the file")
    for column in ("No.", "Time", "Source", "Destination", "Protocol", "Length", "Info"):
        lt.check(column in text, "the table has no column " + column)
    return text, read_frames(lt.need("tshark"), out), port


def check_between(frames, server_port):
    """Every frame goes between the server's port and one client port; returns it."""
    lt.check(frames, "the capture is empty")
    client_port = frames[0].src
    lt.check(client_port != server_port, "the first frame must come from the client: %r" % frames)
    for frame in frames:
        lt.check({frame.src, frame.dst} == {client_port, server_port},
                 "frame %r is not between %d and %d" % (frame, client_port, server_port))
    return client_port


def test_tcp(args, folder):
    text, frames, port = capture(args, "tcp", folder)
    client = check_between(frames, port)
    # The events we expect, in this order (other ACKs may come in between)
    expected = [
        ("SYN", lambda f: f.src == client and f.flags == SYN),
        ("SYN-ACK", lambda f: f.src == port and f.flags == SYN | ACK),
        ("ACK", lambda f: f.src == client and f.flags == ACK and f.payload == 0),
        ("10 bytes to the server", lambda f: f.src == client and f.payload == 10 and f.has(PSH | ACK)),
        ("10 bytes back", lambda f: f.src == port and f.payload == 10 and f.has(PSH | ACK)),
        ("the client's FIN", lambda f: f.src == client and f.has(FIN)),
        ("the server's FIN", lambda f: f.src == port and f.has(FIN)),
    ]
    position = 0
    for name, matches in expected:
        while position < len(frames) and not matches(frames[position]):
            position += 1
        lt.check(position < len(frames), "no %s in order in %r" % (name, frames))
        position += 1
    lt.check(frames[0].flags == SYN and frames[1].flags == SYN | ACK and frames[2].flags == ACK,
             "the capture must start with the handshake: %r" % frames[:3])
    lt.check(not any(f.has(RST) for f in frames), "no RST in a clean close: %r" % frames)
    lt.check(sum(f.payload for f in frames) == 20, "10 bytes each way, nothing more: %r" % frames)
    # Linux loopback: a 14-byte pseudo-Ethernet header; a SYN with its options is 74 bytes
    if sys.platform.startswith("linux"):
        lt.check(frames[0].length == "74", "a SYN on Linux loopback is 74 bytes: %r" % frames[0])
    for words in ("sock.connect(server_address) -> SYN", "handshake 2 of 3", "handshake 3 of 3",
                  "sock.sendall(message)", "connection.sendall(data)", "sock.close() -> FIN",
                  "connection.close() -> FIN", "saludo de tres vías", "3 to connect"):
        lt.check(words in text, "the explanation lacks %r" % words)
    lt.check(re.search(r"-- server: tcp_06_server_close .*\(exit code 0\)", text),
             "the server should end well after a FIN")


def test_udp(args, folder):
    text, frames, port = capture(args, "udp", folder)
    client = check_between(frames, port)
    lt.check(len(frames) == 2, "exactly two datagrams, found %r" % frames)
    lt.check(frames[0].src == client and frames[0].payload == 10, "first the message: %r" % frames)
    lt.check(frames[1].src == port and frames[1].payload == 10, "then the echo: %r" % frames)
    lt.check("no handshake, no FIN" in text and "un datagrama" in text, "the explanation is missing")


def test_refused(args, folder):
    text, frames, port = capture(args, "refused", folder)
    check_between(frames, port)
    lt.check(len(frames) == 2, "SYN and RST, nothing else: %r" % frames)
    lt.check(frames[0].flags == SYN and frames[1].src == port and frames[1].has(RST),
             "SYN, then RST from the closed port: %r" % frames)
    lt.check("Connection refused" in text, "the client should say Connection refused")


def test_rst(args, folder):
    text, frames, port = capture(args, "rst", folder)
    client = check_between(frames, port)
    lt.check(frames[-1].src == client and frames[-1].has(RST | ACK),
             "the client ends with RST, ACK: %r" % frames)
    lt.check(not any(f.has(FIN) for f in frames), "no FIN when closing with unread bytes: %r" % frames)
    lt.check("Connection reset by peer" in text, "the server's recv() should fail with a reset")
    lt.check(re.search(r"-- server: tcp_06_server_close .*\(exit code 1\)", text),
             "the server should stop with exit code 1 after the reset")


def test_errors(args):
    """Bad arguments: usage and exit code 2; --help: exit code 0; programs not found: 1."""
    bad = lt.run(["bash", args.script, "sideways"])
    lt.check(bad.returncode == 2 and b"usage:" in bad.stderr, "a bad mode must exit 2 with usage")
    missing = lt.run(["bash", args.script, "tcp", "--out"])
    lt.check(missing.returncode == 2, "--out without a file must exit 2")
    helped = lt.run(["bash", args.script, "--help"])
    lt.check(helped.returncode == 0 and b"refused" in helped.stdout, "--help must exit 0")
    with tempfile.TemporaryDirectory() as empty:
        nothing = lt.run(["bash", args.script, "tcp", "--build", empty], timeout=30)
        lt.check(nothing.returncode == 1 and b"tcp_06_server_close not found" in nothing.stderr,
                 "a build folder without the programs must exit 1 and say so")


def main():
    args = parse_args()
    if not sys.platform.startswith("linux"):
        lt.skip("capture.sh captures the Linux loopback interface 'lo' (see README for Windows)")
    lt.need("tshark")
    lt.need("bash")
    # capture.sh looks for the programs in --build DIR and DIR/capture
    build = os.path.dirname(os.path.abspath(args.tcp_server))
    for program in (args.tcp_client, args.udp_server, args.udp_client, args.rst_client):
        lt.check(os.path.dirname(os.path.abspath(program)) in (build, os.path.join(build, "capture")),
                 "%s is not where capture.sh --build %s will look" % (program, build))
    with tempfile.TemporaryDirectory() as folder:
        test_tcp(args, folder)  # skips here when capturing is not allowed
        test_udp(args, folder)
        test_refused(args, folder)
        test_rst(args, folder)
    test_errors(args)


if __name__ == "__main__":
    lt.main(main)
