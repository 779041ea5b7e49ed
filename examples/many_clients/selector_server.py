"""The Python twin of selector.cpp: the echo server of Python's `selectors`
documentation, made correct where that example says "Hope it won't block":
non-blocking sockets, a per-client outgoing buffer, EVENT_WRITE only while it is
not empty, no reading from a client whose buffer is full, clients quiet for IDLE
seconds dropped, and no accept() loop when descriptors run out.

usage: python3 selector_server.py [HOST [PORT]]   (default 127.0.0.1 9999; port 0: any)
"""
import errno
import selectors
import socket
import sys
import time

CHUNK = 65536
OUTGOING_LIMIT = 1 << 20
IDLE = 60  # seconds a client may stay quiet (selector.cpp: --idle)

sel = selectors.DefaultSelector()
clients = set()
listener = None  # the listening socket
accepting = True  # False: out of descriptors, the listener is not watched


class Client:
    def __init__(self, conn, address):
        self.conn = conn
        self.address = address
        self.outgoing = b""  # received, echoed back when the socket is writable
        self.last_active = time.monotonic()  # the last byte received or sent


def interest(client):
    events = 0
    if len(client.outgoing) < OUTGOING_LIMIT:
        events |= selectors.EVENT_READ
    if client.outgoing:
        events |= selectors.EVENT_WRITE
    return events


def stop_accepting(e):
    """Out of descriptors: stop watching the listener (see selector.cpp)."""
    global accepting
    print("%s\nnot accepting new clients until one leaves" % e, file=sys.stderr, flush=True)
    sel.unregister(listener)
    accepting = False


def accept_again():
    global accepting
    if not accepting:
        sel.register(listener, selectors.EVENT_READ, None)
        accepting = True


def drop(client, why):
    print("closing %s: %s" % (client.address, why), file=sys.stderr, flush=True)
    sel.unregister(client.conn)
    client.conn.close()
    clients.discard(client)
    accept_again()


def accept(server):
    """Every client waiting in the listen queue, up to 64 at a time (see selector.cpp)."""
    for _ in range(64):
        try:
            conn, address = server.accept()
        except BlockingIOError:
            return  # the queue is empty
        conn.setblocking(False)
        print("accepted %s" % (address,), file=sys.stderr, flush=True)
        client = Client(conn, address)
        clients.add(client)
        sel.register(conn, selectors.EVENT_READ, client)


def serve(client, mask):
    try:
        if mask & selectors.EVENT_READ:
            data = client.conn.recv(CHUNK)  # ready: recv() will not wait
            if not data:
                drop(client, "the client closed the connection")
                return
            client.outgoing += data
            client.last_active = time.monotonic()
        if client.outgoing:
            sent = client.conn.send(client.outgoing)  # takes what fits now
            client.outgoing = client.outgoing[sent:]
            if sent:
                client.last_active = time.monotonic()
    except BlockingIOError:
        pass  # not ready after all: try later
    except OSError as e:
        drop(client, e)
        return
    sel.modify(client.conn, interest(client), client)  # Python's modify() needs the data again


def main():
    global listener
    host = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 9999
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((host, port))
    server.listen(128)
    server.setblocking(False)
    print("starting up on %s port %d" % server.getsockname(), file=sys.stderr, flush=True)
    listener = server
    sel.register(server, selectors.EVENT_READ, None)
    last_round = time.monotonic()
    while True:
        for key, mask in sel.select(timeout=1.0):  # at most 1 s: the quiet clients' turn
            if key.data is None:
                try:
                    accept(server)
                except OSError as e:
                    if e.errno in (errno.EMFILE, errno.ENFILE, getattr(errno, "WSAEMFILE", None)):
                        stop_accepting(e)
                    else:
                        print(e, file=sys.stderr, flush=True)
            else:
                serve(key.data, mask)
        if time.monotonic() - last_round >= 1:
            last_round = time.monotonic()
            now = time.monotonic()
            for client in [c for c in clients if now - c.last_active > IDLE]:
                drop(client, "quiet for more than %d s" % IDLE)
            accept_again()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
