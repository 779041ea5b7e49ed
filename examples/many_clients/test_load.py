"""A thousand clients x 20 messages (1 B to 64 KiB) against an echo server of this
lesson: every byte comes back in order, no client is refused or lost.
usage: test_load.py LOAD_CLIENT SERVER"""
import re
import sys

import lessontest as lt


def test():
    load, server = sys.argv[1], sys.argv[2]
    with lt.Server([server, "127.0.0.1", "0"], echo=False) as srv:
        result = lt.run([load, "127.0.0.1", srv.port, "--clients", "1000", "--messages", "20",
                         "--max-size", "65536", "--seed", "7", "--timeout", "90"], timeout=120)
        print(result.stdout.decode(), result.stderr.decode())
        lt.check(result.returncode == 0, "the load client failed (exit %d)" % result.returncode)
        summary = result.stdout.decode()
        def field(name):
            match = re.search(r"(?:^|, )%s ([\d.]+)" % name, summary)
            lt.check(match is not None, "no %r in %r" % (name, summary))
            return float(match.group(1))
        lt.check(field("clients") == 1000, "1000 clients: " + summary)
        lt.check(field("messages") == 20000, "20000 messages echoed: " + summary)
        lt.check(field("mismatches") == 0 and field("errors") == 0, summary)
        lt.check(field("bytes sent") == field("bytes echoed") > 0, summary)
        lt.check(srv.alive(), "the server is still running")
        # Each client was logged when it came and when it left.
        srv.wait_for(r"\[0 clients\]", timeout=30)
        lt.check(srv.stderr.count(r"^accepted ") == 1000, "1000 clients accepted")


lt.main(test)
