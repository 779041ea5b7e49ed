"""A client that sends a lot and never reads cannot stall the server for the others.
The selector server stops reading from it once 1 MiB waits for it; the threads server
only blocks that client's own thread. Meanwhile another client's echoes keep coming,
and when the slow client reads at last, every byte it sent comes back.
usage: test_slow_reader.py SERVER [SERVER ...]"""
import sys
import time

import lessontest as lt


def check_server(program):
    with lt.Server([program, "127.0.0.1", "0", "--idle", "30"] if "threads" in program
                   else [program, "127.0.0.1", "0"], echo=False) as srv:
        slow = lt.connect(srv.address)
        # (No tiny SO_RCVBUF here: it would make the read-back below crawl at a few KB/s.)
        slow.setblocking(False)
        # Push until neither our send buffer nor the server takes more (bounded).
        chunk = b"x" * 65536
        pushed = 0
        stuck_since = None
        t0 = time.monotonic()
        while time.monotonic() - t0 < 10:
            try:
                pushed += slow.send(chunk)
                stuck_since = None
            except BlockingIOError:
                stuck_since = stuck_since or time.monotonic()
                if time.monotonic() - stuck_since > 0.5:
                    break
                time.sleep(0.01)  # pacing the pusher, not waiting for the server
        lt.check(pushed > 1 << 20, "pushed only %d bytes" % pushed)
        # The server is now holding (or blocked on) the slow client. Others still get answers.
        fast = lt.connect(srv.address, timeout=5)
        t1 = time.monotonic()
        for i in range(50):
            message = b"ping %d" % i
            fast.sendall(message)
            lt.check(lt.recv_until(fast, message, limit=1024) == message, "echo %d" % i)
        took = time.monotonic() - t1
        print("%s: pushed %d bytes into a client that never reads; 50 echoes for another client took %.3f s"
              % (program, pushed, took))
        lt.check(took < 5, "the other client was stalled")
        fast.close()
        # The server kept what the slow client could not take yet, and stopped reading
        # from it (selector: at 1 MiB waiting; threads: its thread waits in sendall).
        lt.check(pushed < 32 << 20, "the server kept reading from a client that never reads")
        # Now the slow client reads: every byte it pushed comes back, none lost.
        slow.setblocking(True)
        slow.settimeout(5)
        echoed = 0
        while echoed < pushed and time.monotonic() - t0 < 30:
            data = slow.recv(1 << 20)
            if not data:
                break
            echoed += len(data)
        lt.check(echoed == pushed, "pushed %d bytes, %d came back" % (pushed, echoed))
        slow.close()
        lt.check(srv.alive(), "server alive")


def test():
    for program in sys.argv[1:]:
        check_server(program)


lt.main(test)
