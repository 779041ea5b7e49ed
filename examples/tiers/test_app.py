"""tiers lesson, 3-tier: curl -> tiers_app_server -> tiers_db_server. The database dies
in the middle (503 page) and comes back on the same port: the application recovers by
itself, without a restart.

usage: test_app.py TIERS_DB_SERVER TIERS_APP_SERVER
"""
import os
import sys
import tempfile
import time

import lessontest as lt
from tierstest import ask


def curl(*args):
    result = lt.run([CURL, "-s", "--max-time", "10"] + list(args), timeout=20)
    lt.check(result.returncode == 0, "curl %r failed: %r" % (args, result))
    return result.stdout.decode("utf-8")


def raw_http(address, request):
    """Sends REQUEST as it is and returns the whole response (the server closes)."""
    with lt.connect(address) as sock:
        sock.sendall(request)
        data = b""
        while len(data) < 1 << 20:
            piece = sock.recv(65536)
            if not piece:
                break
            data += piece
        return data.decode("utf-8", "replace")


def test():
    global CURL
    CURL = lt.need("curl")
    db_exe, app_exe = sys.argv[1], sys.argv[2]
    tmp = tempfile.TemporaryDirectory()
    data_file = os.path.join(tmp.name, "notes.db")

    for bad in (["--db"], ["--db", "nohostport"], ["--db", "127.0.0.1:0"], ["127.0.0.1", "99999"], ["--x"]):
        result = lt.run([app_exe] + bad)
        lt.check(result.returncode == 2 and b"usage:" in result.stderr, "app %r: %r" % (bad, result))

    db = lt.Server([db_exe, "127.0.0.1", "0", "--file", data_file])
    db_port = db.port
    try:
        with lt.Server([app_exe, "127.0.0.1", "0", "--db", "127.0.0.1:%d" % db_port]) as app:
            url = "http://127.0.0.1:%d/" % app.port
            address = ("127.0.0.1", app.port)

            # == GET /: the page, empty at first ==
            page = curl("-i", url)
            lt.check(page.startswith("HTTP/1.1 200 OK\r\n"), "GET /: %r" % page[:200])
            lt.check("Content-Type: text/html; charset=utf-8\r\n" in page and "Connection: close\r\n" in page, "headers")
            lt.check("No notes yet." in page and 'action="/notes"' in page, "empty page: %r" % page)

            # == POST a note (a form, x-www-form-urlencoded): 303 to / ==
            note = "Hola <script>alert(1)</script> & adiós"
            out = curl("-o", os.devnull, "-w", "%{http_code} %{redirect_url}", "--data-urlencode", "note=" + note, url + "notes")
            lt.check(out == "303 " + url, "POST /notes: %r" % out)
            app.wait_for(r"\"POST /notes\" 303 See Other")
            # -L follows the 303 with a GET, as a browser does: the note is listed.
            page = curl("-L", "--data-urlencode", "note=second note\nwith two lines", url + "notes")
            lt.check("Hola &lt;script&gt;alert(1)&lt;/script&gt; &amp; adiós" in page, "escaped note: %r" % page)
            lt.check("<script>" not in page, "a note went into the page as HTML")
            lt.check("second note\nwith two lines" in page, "second note: %r" % page)
            lt.check(page.index("Hola &lt;") < page.index("second note"), "notes out of order")
            # "Expect: 100-continue" (curl sends it by itself for bodies over 1 MiB): the
            # client waits for our "100 Continue" before it sends the body.
            result = lt.run([CURL, "-s", "-v", "--max-time", "10", "-o", os.devnull, "-w", "%{http_code}",
                             "-H", "Expect: 100-continue",
                             "--data-urlencode", "note=" + "n" * 3000, url + "notes"], timeout=20)
            err = result.stderr.decode()
            lt.check(result.stdout == b"303" and "> Expect: 100-continue" in err and "< HTTP/1.1 100 Continue" in err,
                     "large note: %r %s" % (result.stdout, err))

            # The same data through the 2-tier door: the database holds the notes.
            listing = ask(("127.0.0.1", db_port), b"LIST")[0].split(b"\n")
            lt.check(listing[0] == b"OK 3" and all(k.startswith(b"note-") for k in listing[1:]), "LIST: %r" % listing)
            lt.check(ask(("127.0.0.1", db_port), b"GET " + listing[1]) == [b"OK " + note.encode()], "stored note")
            ask(("127.0.0.1", db_port), b"SET from-2-tier written by tiers_db_client")
            lt.check("written by tiers_db_client" in curl(url), "a 2-tier write is not on the page")

            # Delete through the form: gone from the page and from the database.
            key = listing[3].decode()
            out = curl("-o", os.devnull, "-w", "%{http_code}", "-d", "key=" + key, url + "delete")
            lt.check(out == "303" and ask(("127.0.0.1", db_port), b"GET " + listing[3]) == [b"NOTFOUND"], "delete")
            lt.check("n" * 3000 not in curl(url), "deleted note still shown")

            # HEAD: the headers only.
            head = curl("-I", url)
            lt.check(head.startswith("HTTP/1.1 200 OK") and "<html" not in head, "HEAD: %r" % head)

            # == Requests to refuse, each with its status; the server keeps going ==
            cases = [
                (b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", "404 Not Found"),
                (b"PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", "405 Method Not Allowed"),
                (b"GET /notes HTTP/1.1\r\nHost: x\r\n\r\n", "405 Method Not Allowed"),
                (b"GARBAGE\r\n\r\n", "400 Bad Request"),
                (b"GET / HTTP/2.0\r\n\r\n", "505 HTTP Version Not Supported"),
                (b"GET / HTTP/1.1\r\nno colon here\r\n\r\n", "400 Bad Request"),
                (b"POST /notes HTTP/1.1\r\nContent-Length: 100000\r\n\r\n" + b"x" * 1000, "413 Content Too Large"),
                (b"POST /notes HTTP/1.1\r\nContent-Length: 12abc\r\n\r\n", "400 Bad Request"),
                (b"POST /notes HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "411 Length Required"),
                (b"POST /notes HTTP/1.1\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nnote=x", "415 Unsupported"),
                (b"POST /notes HTTP/1.1\r\nContent-Length: 7\r\n\r\nnote=++", "400 Bad Request"),
                (b"POST /notes HTTP/1.1\r\nContent-Length: 8\r\n\r\nnote=%zz", "400 Bad Request"),
                (b"POST /delete HTTP/1.1\r\nContent-Length: 4\r\n\r\nkey=", "400 Bad Request"),
                (b"GET / HTTP/1.1\r\nX: " + b"y" * 9000 + b"\r\n\r\n", "431 Request Header Fields Too Large"),
                (b"POST /notes HTTP/1.1\r\nContent-Length: 20\r\n\r\nnote=cut", "400 Bad Request"),
            ]
            for request, status in cases:
                if request.endswith(b"note=cut"):  # the body stops short: close our side
                    with lt.connect(address) as sock:
                        sock.sendall(request)
                        sock.shutdown(1)
                        response = lt.recv_until(sock, b"</html>").decode()
                else:
                    response = raw_http(address, request)
                lt.check(response.startswith("HTTP/1.1 " + status), "%r -> %r" % (request[:40], response[:120]))
            lt.check(app.alive(), "the app died")

            # A client that sends half a request and stalls does not block the others.
            stalled = lt.connect(address)
            stalled.sendall(b"GET / HT")
            start = time.monotonic()
            for _ in range(5):
                lt.check("second note" in curl(url), "while a client stalls")
            lt.check(time.monotonic() - start < 8, "curl waited for the stalled client (10 s)")

            # == The database dies: 503, a clear page; nothing else breaks ==
            db.stop()
            page = curl("-i", url)
            lt.check(page.startswith("HTTP/1.1 503 Service Unavailable\r\n"), "DB down: %r" % page[:200])
            lt.check("Retry-After: 5\r\n" in page and "the database is not answering" in page, "503 page")
            # "Connection refused" (Linux), "... actively refused it" (Windows)
            lt.check("127.0.0.1:%d" % db_port in page and "refused" in page, "503 says why: %r" % page)
            out = curl("-o", os.devnull, "-w", "%{http_code}", "--data-urlencode", "note=lost?", url + "notes")
            lt.check(out == "503", "POST while the DB is down: %r" % out)
            app.wait_for(r"\"GET /\" 503 Service Unavailable")

            # == The database comes back on the same port, same file: the app recovers ==
            db = lt.Server([db_exe, "127.0.0.1", str(db_port), "--file", data_file])
            db.wait_for(r"loaded 3 keys from ")
            page = curl("-i", url)
            lt.check(page.startswith("HTTP/1.1 200 OK"), "after the DB came back: %r" % page[:200])
            lt.check("second note" in page and "written by tiers_db_client" in page and "lost?" not in page,
                     "the notes after the restart: %r" % page)

            # == A full database (256 keys): 507 and a clear page; GET / still lists them ==
            db_address = ("127.0.0.1", db_port)
            filler = [b"SET note-filler-%03d x" % i for i in range(253)]  # + the 3 notes there
            lt.check(ask(db_address, *filler) == [b"OK"] * 253, "filling the database")
            page = curl("-i", "--data-urlencode", "note=one too many", url + "notes")
            lt.check(page.startswith("HTTP/1.1 507 Insufficient Storage\r\n"), "DB full: %r" % page[:200])
            lt.check("the database is full: delete a note first" in page, "507 page: %r" % page)
            page = curl("-i", url)
            lt.check(page.startswith("HTTP/1.1 200 OK") and "second note" in page, "GET / of a full database")
            lt.check(app.alive(), "the app was restarted or died")
            stalled.close()
            stalled = None
    finally:
        db.stop()
    tmp.cleanup()


lt.main(test)
