"""websocket_chat against a WebSocket client nobody in this project wrote: Python's
`websockets` library (Debian's python3-websockets 10.4, asyncio API).

Checks: two clients see each other's messages; a 100 KB message; a fragmented one;
ping/pong; close codes echoed; 1 MiB accepted and 1 MiB + 1 refused with 1009;
binary refused with 1003; an idle client kept alive by the server's pings; a client
that never reads is dropped without holding up the others, and five that never read
but keep pinging (so they look alive) do not hold up the room either.

Usage: test_chat.py PATH/TO/websocket_chat
"""
import asyncio
import socket
import sys
import threading
import time

import lessontest as lt

try:
    import websockets
except ImportError:
    lt.skip("Python's websockets library is not installed (apt-get install python3-websockets)")

TIMEOUT = 1.0  # the server's --timeout: short, so that the idle checks take seconds
MIB = 1024 * 1024


async def expect_close(ws, code):
    """Waits (bounded) until the server closes WS, and checks the code it sent."""
    try:
        await asyncio.wait_for(ws.wait_closed(), 10)
    except asyncio.TimeoutError:
        raise AssertionError("the server did not close the connection (expected %d)" % code)
    lt.check(ws.close_code == code, "expected close code %d, got %r (%r)" % (code, ws.close_code, ws.close_reason))


async def recv(ws, timeout=10):
    return await asyncio.wait_for(ws.recv(), timeout)


async def scenarios(uri, server):
    # Two clients in the room: each message reaches both, the sender included.
    async with websockets.connect(uri) as alice, websockets.connect(uri) as bob:
        await alice.send("alice: hola")
        lt.check(await recv(bob) == "alice: hola", "bob sees alice's message")
        lt.check(await recv(alice) == "alice: hola", "alice sees her own message come back")
        await bob.send("bob: ¿qué tal? ñ €")
        lt.check(await recv(alice) == "bob: ¿qué tal? ñ €", "alice sees bob's message (UTF-8)")
        lt.check(await recv(bob) == "bob: ¿qué tal? ñ €", "bob sees his own message")

        # 100 KB: a frame with a 64-bit length.
        big = "".join(chr(ord("a") + i % 26) for i in range(100 * 1000))
        await alice.send(big)
        lt.check(await recv(bob) == big, "bob receives alice's 100 KB message intact")
        lt.check(await recv(alice) == big, "alice receives her 100 KB message intact")

        # A fragmented message (websockets sends an iterable as fragments).
        await bob.send(["frag", "men", "ted"])
        lt.check(await recv(alice) == "fragmented", "the fragments arrive as one message")
        lt.check(await recv(bob) == "fragmented", "... to the sender too")

        # Ping: websockets checks that the pong carries the same payload.
        pong = await alice.ping(b"csnet-ping")
        await asyncio.wait_for(pong, 10)

        # Close codes: the server echoes the client's code.
        await alice.close(4001, "bye")
        lt.check(alice.close_code == 4001, "close 4001 echoed, got %r" % alice.close_code)
    lt.check(bob.close_code == 1000, "a plain close is 1000, got %r" % bob.close_code)
    server.wait_for(r"left: closed with code 4001")

    # The limit: 1 MiB goes through, one byte more is refused with 1009.
    async with websockets.connect(uri) as ws:
        await ws.send("x" * MIB)
        lt.check(len(await recv(ws)) == MIB, "a message of exactly 1 MiB comes back")
        await ws.send("x" * (MIB + 1))
        await expect_close(ws, 1009)

    # Binary messages: this chat takes text only.
    async with websockets.connect(uri) as ws:
        await ws.send(b"\x00\x01\x02")
        await expect_close(ws, 1003)

    # An idle client: after TIMEOUT of silence the server pings; websockets answers,
    # so the connection lives on, and messages still flow after three timeouts.
    async with websockets.connect(uri) as idle:
        await asyncio.sleep(3 * TIMEOUT)
        await idle.send("still here")
        lt.check(await recv(idle) == "still here", "an idle client that answers pings stays connected")


def slow_client(address, port):
    """A client that does the handshake and then never reads: its socket buffers fill."""
    sock = lt.connect(address)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.sendall(("GET /chat HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
                  "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                  "Sec-WebSocket-Version: 13\r\n\r\n" % port).encode())
    lt.check(b" 101 " in lt.recv_until(sock, b"\r\n\r\n"), "the slow client is let in")
    return sock


async def slow_reader(uri, server):
    # The slow client is first in the room, so each broadcast meets it first.
    # Messages must still reach the fast client, and the slow one must be dropped
    # (a send that took longer than the timeout, or its outbox full).
    slow = slow_client(server.address, server.port)
    try:
        async with websockets.connect(uri, max_size=None) as fast:
            message = "y" * 1000 * 1000
            started = time.monotonic()
            for _ in range(20):
                await fast.send(message)
                lt.check(await recv(fast, 15) == message, "the fast client receives every message")
            took = time.monotonic() - started
            print("20 x 1 MB to the fast client took %.1f s with a client that never reads" % took)
            lt.check(took < 15, "a slow client held the others up for %.1f s" % took)
        # dropped when a send times out, or when 4 MiB wait in its outbox
        server.wait_for(r"dropped: (sendall\(\) timed out|more than \d+ bytes waiting), it does not read fast enough")
    finally:
        slow.close()


async def stuck_members(uri, server):
    # Five members that never read but send a ping every 0.3 s: alive, yet every
    # message for them stays in their outbox. Each member has its own writer, so a
    # reader that keeps up gets every message at once (when the server's sending
    # thread waited for each stuck member in turn, 8 messages took 5 x the timeout).
    stuck = [slow_client(server.address, server.port) for _ in range(5)]
    stop = threading.Event()

    def keep_pinging():
        while not stop.is_set():
            for sock in stuck:
                try:
                    sock.sendall(b"\x89\x80\x00\x00\x00\x00")  # a masked ping, no payload
                except OSError:
                    pass  # dropped already
            stop.wait(0.3)

    pinger = threading.Thread(target=keep_pinging, daemon=True)
    pinger.start()
    try:
        async with websockets.connect(uri, max_size=None) as fast:
            message = "z" * 1000 * 1000
            started = time.monotonic()
            for _ in range(8):
                await fast.send(message)
                lt.check(await recv(fast, 15) == message, "the reader receives every message")
            took = time.monotonic() - started
            print("8 x 1 MB with 5 members that never read took %.1f s" % took)
            lt.check(took < 5, "members that do not read held the room up for %.1f s (timeout 2 s)" % took)
    finally:
        stop.set()
        pinger.join()
        for sock in stuck:
            sock.close()


def test():
    exe = sys.argv[1]
    with lt.Server([exe, "127.0.0.1", "0", "--timeout", str(TIMEOUT)]) as server:
        uri = "ws://127.0.0.1:%d/chat" % server.port
        asyncio.run(asyncio.wait_for(scenarios(uri, server), 60))
        lt.check(server.alive(), "the server is still running")
    # A longer timeout here, so that the slow client's buffers fill (and a send
    # times out) well before it could be dropped for not answering a ping.
    with lt.Server([exe, "127.0.0.1", "0", "--timeout", "2"]) as server:
        uri = "ws://127.0.0.1:%d/chat" % server.port
        asyncio.run(asyncio.wait_for(slow_reader(uri, server), 60))
        asyncio.run(asyncio.wait_for(stuck_members(uri, server), 60))
        lt.check(server.alive(), "the server is still running")


if __name__ == "__main__":
    lt.main(test)
