"""http_server against curl: GET, HEAD, 404, a folder, percent-decoding, keep-alive
(one connection for two URLs), HTTP/1.0, and every way out of the root: "..",
"%2e%2e", encoded slashes, absolute paths, a symbolic link that leaves the root.

usage: test_server_curl.py HTTP_SERVER
"""
import os
import re
import sys

import lessontest as lt
import httptest as ht


def curl(*args):
    """curl -s with a time limit; returns (exit code, stdout bytes, stderr text)."""
    r = lt.run([CURL, "-s", "--max-time", "10"] + list(args), timeout=20)
    return r.returncode, r.stdout, r.stderr.decode("utf-8", "replace")


def status_of(url, *extra):
    code, out, _ = curl("-o", os.devnull, "-w", "%{http_code}", *extra, url)
    lt.check(code == 0, "curl failed on %s (exit %d)" % (url, code))
    return int(out)


def test():
    global CURL
    CURL = lt.need("curl")
    server = sys.argv[1]
    with ht.tempdir() as tmp:
        root, files = ht.make_root(tmp)
        # A symbolic link inside the root that points out of it, and one that stays in.
        links = True
        try:
            os.symlink(os.path.join(tmp, "secret.txt"), os.path.join(root, "escape.txt"))
            os.symlink(os.path.join(tmp), os.path.join(root, "up"))
            os.symlink(os.path.join(root, "hello.txt"), os.path.join(root, "inside.txt"))
        except (OSError, NotImplementedError):
            links = False  # Windows without the right to make links
        with lt.Server([server, "127.0.0.1", "0", "--root", root]) as srv:
            base = "http://127.0.0.1:%d" % srv.port

            # GET: the bytes of the file, its type and length.
            for path, data in files.items():
                quoted = path.replace(" ", "%20").replace("\u00e9", "%C3%A9")
                code, out, err = curl("-i", base + quoted)
                lt.check(code == 0, "curl %s: exit %d %s" % (quoted, code, err))
                head, _, body = out.partition(b"\r\n\r\n")
                head += b"\r\n"
                lt.check(head.startswith(b"HTTP/1.1 200 OK\r\n"), "GET %s: %r" % (quoted, head[:80]))
                lt.check(body == data, "GET %s: the body differs from the file" % quoted)
                lt.check(b"\r\nContent-Length: %d\r\n" % len(data) in head, "GET %s: Content-Length" % quoted)
            code, out, _ = curl("-i", base + "/page.html")
            lt.check(b"\r\nContent-Type: text/html; charset=utf-8\r\n" in out, "Content-Type of .html")
            code, out, _ = curl("-i", base + "/hello.txt")
            lt.check(b"\r\nContent-Type: text/plain; charset=utf-8\r\n" in out, "Content-Type of .txt")
            lt.check(re.search(rb"\r\nDate: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT\r\n", out), "a Date header")

            # HEAD: the same head, no body.
            code, out, _ = curl("-I", base + "/data.bin")
            lt.check(out.startswith(b"HTTP/1.1 200 OK\r\n") and out.endswith(b"\r\n\r\n"), "HEAD: %r" % out)
            lt.check(b"\r\nContent-Length: 262144\r\n" in out, "HEAD: Content-Length of the file")
            lt.check(b"\r\nContent-Type: application/octet-stream\r\n" in out, "HEAD: type of .bin")

            # 404, a folder (index.html), a folder without its slash (301).
            lt.check(status_of(base + "/no-such-file.txt") == 404, "a missing file is 404")
            code, out, _ = curl(base + "/sub/")
            lt.check(out == files["/sub/index.html"], "/sub/ serves sub/index.html")
            code, out, _ = curl("-i", base + "/sub")
            lt.check(out.startswith(b"HTTP/1.1 301 ") and b"\r\nLocation: /sub/\r\n" in out, "/sub -> 301 /sub/")
            code, out, _ = curl("-L", base + "/sub")
            lt.check(out == files["/sub/index.html"], "curl -L follows /sub to /sub/")
            lt.check(status_of(base + "/") == 404, "a root without index.html is 404")
            lt.check(status_of(base + "/hello.txt/") == 404, "a file is not a folder: /hello.txt/ is 404")
            lt.check(status_of(base + "/" + "n" * 300) == 404, "a name too long for the system is 404")
            lt.check(status_of(base + "/hello.txt?x=1&y=%20") == 200, "a query does not change the file")

            # Keep-alive: curl asks two URLs over one connection.
            mark = len(srv.stderr.lines)  # only the log lines of this run count
            code, out, err = curl("-v", base + "/hello.txt", base + "/page.html")
            lt.check(code == 0 and out == files["/hello.txt"] + files["/page.html"], "two URLs, both bodies")
            lt.check("Re-using existing connection" in err, "curl kept the connection:\n" + err)
            srv.wait_for(r'"GET /page.html HTTP/1.1" 200', start=mark)
            # ...and the server saw both on the same client port.
            log = "\n".join(srv.stderr.lines[mark:])
            first = re.findall(r'(\S+) "GET /hello.txt HTTP/1.1" 200', log)[-1]
            lt.check(re.search(re.escape(first) + r' "GET /page.html HTTP/1.1" 200', log), "same client port")

            # HTTP/1.0: the server closes after the answer (and says so).
            code, out, err = curl("-v", "--http1.0", base + "/hello.txt", base + "/page.html")
            lt.check(code == 0 and "Re-using existing connection" not in err, "1.0 does not keep the connection")
            lt.check("< Connection: close" in err, "1.0: the answer says Connection: close")

            # Ways out of the root. curl --path-as-is sends the path untouched.
            attempts = ["/../secret.txt", "/../../../../etc/passwd", "/%2e%2e/secret.txt", "/%2E%2E/secret.txt",
                        "/sub/../../secret.txt", "/..%2fsecret.txt", "/%2e%2e%2fsecret.txt", "/sub%2f..%2f..%2fsecret.txt",
                        "/..%5csecret.txt", "/./hello.txt", "/C:/Windows/win.ini", "/%00hello.txt", "/hello.txt%00"]
            for path in attempts:
                got = status_of(base + path, "--path-as-is")
                lt.check(got in (400, 403, 404), "%s gave %d" % (path, got))
            # An "absolute path": the empty segments are skipped, the file is looked up in the root.
            lt.check(status_of(base + "//etc/passwd", "--path-as-is") == 404, "//etc/passwd stays in the root")
            lt.check(status_of(base + "//hello.txt", "--path-as-is") == 200, "//hello.txt is the root's hello.txt")
            if links:
                lt.check(status_of(base + "/escape.txt") == 403, "a link out of the root is 403")
                lt.check(status_of(base + "/up/secret.txt") == 403, "a folder link out of the root is 403")
                lt.check(status_of(base + "/inside.txt") == 200, "a link that stays inside is served")
            lt.check(b"TOP SECRET" not in srv.stderr.text().encode(), "never")
            lt.check(srv.alive(), "the server is still running")


if __name__ == "__main__":
    lt.main(test)
