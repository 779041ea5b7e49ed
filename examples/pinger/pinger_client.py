#!/usr/bin/env python3
"""The UDP pinger client of Kurose & Ross (socket programming assignment "UDP
Pinger"), in Python 3: the twin of pinger_client.cpp, with the same output.

It sends COUNT datagrams "Ping <seq> <time>". For each one it waits at most
TIMEOUT seconds: it prints the answer and the round-trip time (RTT), or
"Request timed out". At the end, the summary that ping prints.
An answer whose sequence number is not the current one came too late (it belongs
to an earlier ping): it is ignored, not taken as this ping's answer.

Usage: python3 pinger_client.py HOST PORT [--count N] [--timeout S]  (10 pings, 1.0 s)
Exit status: 0 if at least one ping was answered, 1 if none, 2 bad arguments.
"""
import argparse
import socket
import time


def preview(data):
    """A datagram as it is shown: at most 40 bytes, non-printable bytes as \\xNN."""
    text = "".join(chr(b) if 32 <= b < 127 and b not in b'"\\' else "\\x%02x" % b for b in data[:40])
    return text + ("..." if len(data) > 40 else "")


def count_number(text):
    n = int(text)
    if not 1 <= n <= 1000000:
        raise ValueError(text)
    return n


def timeout_seconds(text):
    s = float(text)
    if not 0 < s <= 3600:
        raise ValueError(text)
    return s


def port_number(text):
    n = int(text)
    if not 1 <= n <= 65535:
        raise ValueError(text)
    return n


parser = argparse.ArgumentParser(description="UDP pinger client (Kurose & Ross)")
parser.add_argument("host")
parser.add_argument("port", type=port_number)
parser.add_argument("--count", type=count_number, default=10, help="how many pings (default 10)")
parser.add_argument("--timeout", type=timeout_seconds, default=1.0,
                    help="seconds to wait for each answer (default 1.0)")
args = parser.parse_args()  # a bad argument: usage and exit status 2

# A UDP socket: no connect(), each sendto() names the server
family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
sock = socket.socket(family, socket.SOCK_DGRAM)
server_address = (args.host, args.port)
print("PING %s port %d: %d pings, timeout %g s" % (args.host, args.port, args.count, args.timeout), flush=True)

rtts = []  # the round-trip time of each answered ping, seconds
for seq in range(1, args.count + 1):
    # The assignment's message: "Ping sequence_number time"
    message = "Ping %d %.6f" % (seq, time.time())
    start = time.monotonic()
    sock.sendto(message.encode(), server_address)

    # The answer we wait for starts with "PING <seq> " (the server upper-cases)
    expected = b"PING %d " % seq
    answered = False
    while not answered:
        left = args.timeout - (time.monotonic() - start)
        if left <= 0:
            break
        sock.settimeout(left)
        try:
            reply, server = sock.recvfrom(65536)
        except socket.timeout:
            break  # TIMEOUT seconds went by: this ping is lost
        except OSError as e:  # Windows may report that the server's port is closed
            print("  (%s)" % e, flush=True)
            break
        rtt = time.monotonic() - start
        if reply.startswith(expected):
            print("Reply from %s port %d: %s  rtt=%.3f ms"
                  % (server[0], server[1], preview(reply), rtt * 1000), flush=True)
            rtts.append(rtt)
            answered = True
        else:
            print('  (ignored %d bytes that are not the answer to ping %d: "%s")'
                  % (len(reply), seq, preview(reply)), flush=True)
    if not answered:
        print("Request timed out (ping %d)" % seq, flush=True)
sock.close()

# The summary, as ping prints it
received = len(rtts)
print()
print("--- %s port %d ping statistics ---" % (args.host, args.port))
print("%d packets transmitted, %d received, %.3g%% packet loss"
      % (args.count, received, 100.0 * (args.count - received) / args.count))
if received:
    print("rtt min/avg/max = %.3f/%.3f/%.3f ms"
          % (min(rtts) * 1000, sum(rtts) / received * 1000, max(rtts) * 1000))
raise SystemExit(0 if received else 1)
