"""The Python twin of load.cpp: N clients at once, each sending M messages of random
sizes and checking the echo byte for byte; one summary line; exit 0 only when
nothing was lost or changed. Python's random generator is not C++'s, so the
messages differ from load.cpp's for the same --seed; the checks are the same.

usage: python3 load.py HOST PORT [--clients N] [--messages M] [--max-size S] [--seed K] [--timeout S]
"""
import argparse
import random
import selectors
import socket
import sys
import time


def message(rng, max_size):
    size = rng.randint(1, max_size)
    start = rng.randrange(251)
    return bytes((start + i) % 251 for i in range(size))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("--clients", type=int, default=100)
    p.add_argument("--messages", type=int, default=10)
    p.add_argument("--max-size", type=int, default=1024)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--timeout", type=float, default=60)
    a = p.parse_args()

    start = time.monotonic()
    deadline = start + a.timeout
    sel = selectors.DefaultSelector()
    stats = dict(messages=0, sent=0, echoed=0, mismatches=0, errors=0)
    rtts = []

    class Client:
        pass

    for i in range(a.clients):
        c = Client()
        c.rng = random.Random(a.seed * 1000003 + i)
        try:
            c.sock = socket.create_connection((a.host, a.port), timeout=max(0.001, deadline - time.monotonic()))
        except OSError as e:
            if stats["errors"] == 0:
                print("client %d: %s" % (i, e), file=sys.stderr)
            stats["errors"] += 1
            continue
        c.sock.setblocking(False)
        c.msg, c.sent, c.echoed, c.done, c.t0 = message(c.rng, a.max_size), 0, 0, 0, 0.0
        sel.register(c.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, c)
    connected = time.monotonic()  # messages/s counts from here, as in load.cpp

    def finish(c):
        sel.unregister(c.sock)
        c.sock.close()

    while sel.get_map() and time.monotonic() < deadline:
        for key, mask in sel.select(deadline - time.monotonic()):
            c = key.data
            try:
                if mask & selectors.EVENT_WRITE and c.sent < len(c.msg):
                    if c.sent == 0:
                        c.t0 = time.monotonic()
                    n = c.sock.send(c.msg[c.sent:])
                    c.sent += n
                    stats["sent"] += n
                    if c.sent == len(c.msg):
                        sel.modify(c.sock, selectors.EVENT_READ, c)
                if mask & selectors.EVENT_READ:
                    data = c.sock.recv(65536)
                    if not data:
                        raise ConnectionError("the server closed the connection early")
                    stats["echoed"] += len(data)
                    if data != c.msg[c.echoed:c.echoed + len(data)]:
                        stats["mismatches"] += 1
                        finish(c)
                        continue
                    c.echoed += len(data)
                    if c.echoed == len(c.msg):
                        rtts.append(time.monotonic() - c.t0)
                        stats["messages"] += 1
                        c.done += 1
                        if c.done == a.messages:
                            finish(c)
                            continue
                        c.msg, c.sent, c.echoed = message(c.rng, a.max_size), 0, 0
                        sel.modify(c.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, c)
            except BlockingIOError:
                pass
            except OSError as e:
                if stats["errors"] == 0:
                    print("a client failed: %s" % e, file=sys.stderr)
                stats["errors"] += 1
                finish(c)
    if sel.get_map():
        print("timed out with %d clients unfinished" % len(sel.get_map()), file=sys.stderr)
        stats["errors"] += len(sel.get_map())

    finished = time.monotonic()
    seconds = finished - start
    exchanging = max(finished - connected, 1e-9)
    rtts.sort()

    def pct(q):
        return rtts[int(q * (len(rtts) - 1))] * 1000 if rtts else 0.0

    print("clients %d, messages %d, bytes sent %d, bytes echoed %d, mismatches %d, errors %d, "
          "seconds %.2f, connect seconds %.2f, messages/s %.0f, p50 ms %.2f, p99 ms %.2f"
          % (a.clients, stats["messages"], stats["sent"], stats["echoed"], stats["mismatches"],
             stats["errors"], seconds, connected - start, stats["messages"] / exchanging, pct(0.5), pct(0.99)))
    return 0 if stats["mismatches"] == 0 and stats["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
