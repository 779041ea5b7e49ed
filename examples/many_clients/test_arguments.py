"""Every program of the lesson: --help prints usage and exits 0; a bad argument prints
usage and exits 2; a lone port where the host goes is caught, not looked up as a name.
usage: test_arguments.py PROGRAM..."""
import sys

import lessontest as lt


def test():
    for program in sys.argv[1:]:
        needs_host_port = program.rstrip(".exe").endswith("load")
        r = lt.run([program, "--help"], timeout=10)
        lt.check(r.returncode == 0 and b"usage:" in r.stderr, "%s --help: %r" % (program, r))
        bad = [["127.0.0.1", "99999"], ["127.0.0.1", "port"], ["9999"], ["a", "1", "extra"],
               ["127.0.0.1", "0", "--no-such-option", "1"]]
        if program.rstrip(".exe").endswith(("threads", "selector")):
            bad += [["127.0.0.1", "0", "--idle", "0"], ["127.0.0.1", "0", "--idle", "-5"]]
        if needs_host_port:
            bad += [[], ["127.0.0.1", "1", "--clients", "many"], ["127.0.0.1", "1", "--clients", "0"]]
        for args in bad:
            r = lt.run([program] + args, timeout=10)
            lt.check(r.returncode == 2 and (b"usage:" in r.stderr or b"must be" in r.stderr),
                     "%s %s: exit %d, %r" % (program, args, r.returncode, r.stderr))
        r = lt.run([program, "9999"], timeout=10)
        lt.check(b"looks like a port" in r.stderr, "lone port explained: %r" % r.stderr)


lt.main(test)
