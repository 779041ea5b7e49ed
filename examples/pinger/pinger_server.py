#!/usr/bin/env python3
"""The UDP pinger server of Kurose & Ross (socket programming assignment "UDP
Pinger"), in Python 3: the twin of pinger_server.cpp.

It answers every datagram with the same text in upper case, except that it drops
a fraction of them on purpose, at random, to play a network that loses packets.

Usage: python3 pinger_server.py [HOST [PORT]] [--loss P] [--seed N]
Defaults: 127.0.0.1 12000, loss 0.3, a random seed. The same seed drops the same
datagrams as pinger_server.cpp: both draw from the same Mersenne Twister.
"""
import argparse
import random
import socket
import sys


def mt19937(seed):
    """A random.Random that draws the same 32-bit numbers as C++'s std::mt19937(seed).

    Python's random.seed() fills the generator's 624 words its own way; C++ fills
    them with the standard's formula. Filling them ourselves, with setstate(),
    makes getrandbits(32) give exactly C++'s numbers.
    """
    words = [seed & 0xFFFFFFFF]
    for i in range(1, 624):
        previous = words[-1]
        words.append((1812433253 * (previous ^ (previous >> 30)) + i) & 0xFFFFFFFF)
    generator = random.Random()
    generator.setstate((3, tuple(words + [624]), None))
    return generator


def preview(data):
    """A datagram as the log shows it: at most 40 bytes, non-printable bytes as \\xNN."""
    text = "".join(chr(b) if 32 <= b < 127 and b not in b'"\\' else "\\x%02x" % b for b in data[:40])
    return text + ("..." if len(data) > 40 else "")


def seed_number(text):
    n = int(text)
    if not 0 <= n <= 0xFFFFFFFF:
        raise ValueError(text)
    return n


def loss_fraction(text):
    p = float(text)
    if not 0 <= p <= 1:
        raise ValueError(text)
    return p


def port_number(text):
    n = int(text)
    if not 0 <= n <= 65535:
        raise ValueError(text)
    return n


parser = argparse.ArgumentParser(description="UDP pinger server (Kurose & Ross)")
parser.add_argument("host", nargs="?", default="127.0.0.1")
parser.add_argument("port", nargs="?", type=port_number, default=12000)
parser.add_argument("--loss", type=loss_fraction, default=0.3,
                    help="fraction of datagrams dropped on purpose, 0 to 1 (default 0.3)")
parser.add_argument("--seed", type=seed_number, default=None,
                    help="seed of the random drops, 0 to 4294967295 (default: a random one)")
args = parser.parse_args()  # a bad argument: usage and exit status 2
seed = args.seed if args.seed is not None else random.SystemRandom().getrandbits(32)

# Creating the UDP socket: SOCK_DGRAM, no listen(), no accept()
family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
sock = socket.socket(family, socket.SOCK_DGRAM)
try:
    sock.bind((args.host, args.port))
except OSError as e:
    print(e, file=sys.stderr)
    sys.exit(1)
bound_host, bound_port = sock.getsockname()[:2]
print("starting up on %s port %s" % (bound_host, bound_port), file=sys.stderr, flush=True)
print("dropping a fraction %g of the datagrams at random (--loss %g --seed %d)"
      % (args.loss, args.loss, seed), file=sys.stderr, flush=True)

# The "network" that loses packets: one 32-bit number per datagram; a number below
# loss * 2^32 means "lost".
generator = mt19937(seed)
threshold = args.loss * 4294967296.0

count = 0
while True:
    # Waiting for a datagram: 65536 bytes holds the largest one UDP can carry
    try:
        data, client_address = sock.recvfrom(65536)
    except OSError as e:  # Windows: an earlier answer found no one at home
        print("recvfrom failed, going on: %s" % e, file=sys.stderr, flush=True)
        continue
    count += 1
    line = "datagram %d from %s: \"%s\" (%d bytes) -> " % (count, client_address[:2], preview(data), len(data))

    # Simulating a lost packet: the server simply does not answer
    if generator.getrandbits(32) < threshold:
        print(line + "dropped (simulated loss)", file=sys.stderr, flush=True)
        continue

    # Otherwise the server answers: the same datagram, upper-cased
    try:
        sock.sendto(data.upper(), client_address)
        print(line + "echoed in upper case", file=sys.stderr, flush=True)
    except OSError as e:
        print(line + "sendto failed: %s" % e, file=sys.stderr, flush=True)
