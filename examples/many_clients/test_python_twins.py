"""The Python twins and the C++ programs talk to each other: the C++ load client
against selector_server.py, and load.py against the C++ selector server.
usage: test_python_twins.py LOAD_CLIENT SELECTOR_SERVER"""
import os
import sys

import lessontest as lt

HERE = os.path.dirname(os.path.abspath(__file__))


def test():
    load, server = sys.argv[1], sys.argv[2]
    with lt.Server([sys.executable, os.path.join(HERE, "selector_server.py"), "127.0.0.1", "0"], echo=False) as py:
        r = lt.run([load, "127.0.0.1", py.port, "--clients", "100", "--messages", "10", "--max-size", "8192"], 60)
        print(r.stdout.decode(), r.stderr.decode())
        lt.check(r.returncode == 0 and b"mismatches 0, errors 0" in r.stdout, "C++ load -> Python server")
    with lt.Server([server, "127.0.0.1", "0"], echo=False) as cpp:
        r = lt.run([sys.executable, os.path.join(HERE, "load.py"), "127.0.0.1", cpp.port,
                    "--clients", "100", "--messages", "10", "--max-size", "8192"], 60)
        print(r.stdout.decode(), r.stderr.decode())
        lt.check(r.returncode == 0 and b"mismatches 0, errors 0" in r.stdout, "Python load -> C++ server")
        lt.check(b"messages 1000," in r.stdout, "1000 messages")


lt.main(test)
