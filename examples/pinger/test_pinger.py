"""Tests of the UDP pinger lesson (examples/pinger/README.md).

Usage: test_pinger.py CHECK PINGER_SERVER PINGER_CLIENT
CHECK is one of loss0, loss1, seeded, twins, late_reply, bad_input, arguments.
The Python twins (pinger_server.py, pinger_client.py) are run with this Python.
"""
import os
import random
import re
import socket
import sys
import threading
import time

import lessontest as lt

HERE = os.path.dirname(os.path.abspath(__file__))
PY_SERVER = [sys.executable, os.path.join(HERE, "pinger_server.py")]
PY_CLIENT = [sys.executable, os.path.join(HERE, "pinger_client.py")]
check_name, CPP_SERVER, CPP_CLIENT = sys.argv[1], [sys.argv[2]], [sys.argv[3]]


def expected_drops(seed, loss, count):
    """Which datagrams (1, 2, ...) a server with this seed drops, computed as the
    server does: std::mt19937(seed), one 32-bit draw per datagram, dropped when the
    draw is below loss * 2^32. Written here again, on purpose, not imported."""
    state = [seed]
    for i in range(1, 624):
        state.append((1812433253 * (state[-1] ^ (state[-1] >> 30)) + i) & 0xFFFFFFFF)
    rng = random.Random()
    rng.setstate((3, tuple(state + [624]), None))
    return [n for n in range(1, count + 1) if rng.getrandbits(32) < loss * 4294967296.0]


def ping(client, srv, count, timeout, expect_rc=None):
    """Runs a pinger client against SRV; returns (answered seqs, timed-out seqs,
    summary match, stdout, seconds it took)."""
    start = time.monotonic()
    result = lt.run(client + [srv.host, srv.port, "--count", count, "--timeout", timeout], timeout=60)
    took = time.monotonic() - start
    out = result.stdout.decode().replace("\r\n", "\n")  # Windows writes \r\n
    print(out, flush=True)
    lt.check(result.stderr == b"", "client wrote on stderr: %r" % result.stderr)
    reply = r"^Reply from \S+ port \d+: PING (\d+) \d+\.\d{6}  rtt=\d+\.\d{3} ms$"
    answered = [int(s) for s in re.findall(reply, out, re.M)]
    lost = [int(s) for s in re.findall(r"^Request timed out \(ping (\d+)\)$", out, re.M)]
    summary = re.search(r"^(\d+) packets transmitted, (\d+) received, (\S+)% packet loss$", out, re.M)
    lt.check(summary is not None, "no summary line")
    lt.check(int(summary.group(1)) == count, "wrong count in summary")
    lt.check(int(summary.group(2)) == len(answered), "summary's received != replies shown")
    lt.check(sorted(answered + lost) == list(range(1, count + 1)), "each ping must be answered or timed out once")
    has_rtt = re.search(r"^rtt min/avg/max = [\d.]+/[\d.]+/[\d.]+ ms$", out, re.M) is not None
    lt.check(has_rtt == bool(answered), "rtt line must be there exactly when some ping was answered")
    rc = 0 if answered else 1
    lt.check(result.returncode == rc, "exit status %d, expected %d" % (result.returncode, rc))
    return answered, lost, summary, out, took


def test_loss0():
    for server in (CPP_SERVER, PY_SERVER):
        with lt.Server(server + ["127.0.0.1", "0", "--loss", "0"]) as srv:
            answered, lost, summary, _, _ = ping(CPP_CLIENT, srv, 5, 1.0)
            lt.check(answered == [1, 2, 3, 4, 5] and lost == [], "loss 0: every ping answered")
            lt.check(summary.group(3) == "0", "0% packet loss")
            srv.wait_for(r"datagram 5 from \('127\.0\.0\.1', \d+\): \"Ping 5 [\d.]+\" \(\d+ bytes\) -> echoed")
            lt.check(srv.stderr.count(r"-> echoed") == 5, "server echoed 5")


def test_loss1():
    for server in (CPP_SERVER, PY_SERVER):
        with lt.Server(server + ["127.0.0.1", "0", "--loss", "1"]) as srv:
            answered, lost, summary, _, took = ping(CPP_CLIENT, srv, 3, 0.2)
            lt.check(answered == [] and lost == [1, 2, 3], "loss 1: every ping timed out")
            lt.check(summary.group(3) == "100", "100% packet loss")
            lt.check(0.55 <= took <= 2.5, "3 pings x 0.2 s took %.2f s" % took)
            srv.wait_for(r"datagram 3 .* -> dropped \(simulated loss\)")
            lt.check(srv.stderr.count(r"-> dropped") == 3, "server dropped 3")


def seeded_run(server, client, seed, loss, count):
    with lt.Server(server + ["127.0.0.1", "0", "--loss", loss, "--seed", seed]) as srv:
        srv.wait_for(r"--loss %g --seed %d\)" % (loss, seed))
        answered, lost, _, _, _ = ping(client, srv, count, 0.2)
        srv.wait_for(r"datagram %d " % count)
        dropped_in_log = [int(n) for n in re.findall(r"^datagram (\d+) .* -> dropped", srv.stderr.text(), re.M)]
        lt.check(dropped_in_log == lost, "server log dropped %s, client lost %s" % (dropped_in_log, lost))
        return lost


def test_seeded():
    seed, loss, count = 42, 0.5, 10
    expected = expected_drops(seed, loss, count)
    lt.check(0 < len(expected) < count, "the seed should drop some, not all: %s" % expected)
    first = seeded_run(CPP_SERVER, CPP_CLIENT, seed, loss, count)
    second = seeded_run(CPP_SERVER, CPP_CLIENT, seed, loss, count)
    lt.check(first == expected, "lost %s, the seed says %s" % (first, expected))
    lt.check(second == first, "the same seed lost %s then %s" % (first, second))


def test_twins():
    seed, loss, count = 7, 0.3, 8
    expected = expected_drops(seed, loss, count)
    lt.check(0 < len(expected) < count, "the seed should drop some, not all: %s" % expected)
    for server, client in ((CPP_SERVER, PY_CLIENT), (PY_SERVER, CPP_CLIENT), (PY_SERVER, PY_CLIENT)):
        lost = seeded_run(server, client, seed, loss, count)
        lt.check(lost == expected, "%s vs %s lost %s, the seed says %s" % (client[-1], server[-1], lost, expected))


def fake_server_with_late_reply(sock):
    """Answers ping 1 never, ping 2 with a late answer to ping 1 and some garbage,
    ping 3 properly. A correct client reports 1 received out of 3."""
    for _ in range(3):
        try:
            data, peer = sock.recvfrom(65536)
        except OSError:
            return
        seq = data.split()[1]
        if seq == b"2":
            sock.sendto(b"PING 1 1700000000.000000", peer)  # too late: it belongs to ping 1
            sock.sendto(b"\xff\x00garbage", peer)
            sock.sendto(b"PING 23 1700000000.000000", peer)  # starts like "PING 2" but is not
        elif seq == b"3":
            sock.sendto(data.upper(), peer)


def test_late_reply():
    for client in (CPP_CLIENT, PY_CLIENT):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(10)
        worker = threading.Thread(target=fake_server_with_late_reply, args=(sock,), daemon=True)
        worker.start()

        class Fake:
            host, port = sock.getsockname()
        answered, lost, _, out, _ = ping(client, Fake, 3, 0.3)
        worker.join(10)
        sock.close()
        lt.check(answered == [3] and lost == [1, 2], "a late answer to ping 1 was taken for ping 2")
        lt.check(out.count("(ignored ") == 3, "the client says what it ignored")


def test_bad_input():
    for server in (CPP_SERVER, PY_SERVER):
        with lt.Server(server + ["127.0.0.1", "0", "--loss", "0"]) as srv:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.settimeout(5)
                big = bytes(random.Random(1).getrandbits(8) for _ in range(65507))  # the largest over IPv4
                for data in (b"a" * 65507, big, bytes(range(256)), b"", b"\r\n\x00"):
                    s.sendto(data, srv.address)
                    reply, _ = s.recvfrom(65536)
                    lt.check(reply == data.upper(), "a %d-byte datagram came back wrong" % len(data))
            srv.wait_for(r"\(65507 bytes\) -> echoed")
            lt.check(max(len(line) for line in srv.stderr.lines) < 300, "log lines stay short")
            answered, _, _, _, _ = ping(CPP_CLIENT, srv, 2, 1.0)
            lt.check(answered == [1, 2], "the server still answers after the garbage")
            lt.check(srv.alive(), "server alive")


def test_arguments():
    for program in (CPP_SERVER, PY_SERVER, CPP_CLIENT, PY_CLIENT):
        result = lt.run(program + ["--help"], timeout=20)
        lt.check(result.returncode == 0 and b"usage" in result.stdout.lower(), "--help: usage, exit 0")
    for server in (CPP_SERVER, PY_SERVER):
        for bad in (["--loss", "2"], ["--loss", "x"], ["--loss", "-0.1"], ["--seed", "-1"],
                    ["--seed", "4294967296"], ["--seed", "1e3"], ["--bogus"], ["127.0.0.1", "70000"], ["--loss"]):
            result = lt.run(server + bad, timeout=20)
            lt.check(result.returncode == 2 and b"usage" in result.stderr.lower(),
                     "%s %s: exit %d, expected 2 and usage" % (server[-1], bad, result.returncode))
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
            taken.bind(("127.0.0.1", 0))
            result = lt.run(server + ["127.0.0.1", taken.getsockname()[1]], timeout=20)
            lt.check(result.returncode == 1 and b"in use" in result.stderr.lower(),
                     "port in use: exit %d %r" % (result.returncode, result.stderr))
    for client in (CPP_CLIENT, PY_CLIENT):
        for bad in ([], ["127.0.0.1"], ["127.0.0.1", "0"], ["127.0.0.1", "x"], ["127.0.0.1", "9", "--count", "0"],
                    ["127.0.0.1", "9", "--count", "1.5"], ["127.0.0.1", "9", "--timeout", "0"],
                    ["127.0.0.1", "9", "--timeout", "nan"], ["127.0.0.1", "9", "--bogus", "1"]):
            result = lt.run(client + bad, timeout=20)
            lt.check(result.returncode == 2 and b"usage" in result.stderr.lower(),
                     "%s %s: exit %d, expected 2 and usage" % (client[-1], bad, result.returncode))


lt.main(globals()["test_" + check_name])
