"""The report's server makes a second client wait until the first leaves; the
threads and selector servers do not. usage: test_one_at_a_time.py REPORT_SERVER SERVER..."""
import os
import sys

import lessontest as lt


def test():
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "one_at_a_time.py")
    result = lt.run([sys.executable, script] + sys.argv[1:] + ["--hold", "1.0", "--check"], timeout=90)
    print(result.stdout.decode(), result.stderr.decode())
    lt.check(result.returncode == 0, "one_at_a_time.py --check failed")
    lines = result.stdout.decode().splitlines()
    lt.check(len(lines) == len(sys.argv) - 1, "one line per server")
    lt.check("B had to wait until A left" in lines[0], lines[0])
    for line in lines[1:]:
        lt.check("B was served at once" in line, line)


lt.main(test)
