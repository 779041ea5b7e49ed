"""tiers lesson, 3-tier with a real browser: headless Chromium opens tiers_app_server's
page, whose notes come from tiers_db_server; the DOM it builds lists them.

usage: test_browser.py TIERS_DB_SERVER TIERS_APP_SERVER
"""
import http.client
import os
import shutil
import sys
import tempfile
import urllib.parse

import lessontest as lt
from tierstest import ask


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    lt.skip("chromium is not installed")


def test():
    chromium = find_chromium()
    db_exe, app_exe = sys.argv[1], sys.argv[2]
    tmp = tempfile.TemporaryDirectory()
    with lt.Server([db_exe, "127.0.0.1", "0"]) as db, \
            lt.Server([app_exe, "127.0.0.1", "0", "--db", "127.0.0.1:%d" % db.port]) as app:
        # One note written 2-tier (straight into the database), one 3-tier (the form).
        lt.check(ask(("127.0.0.1", db.port), b"SET a-2-tier from the database client") == [b"OK"], "SET")
        conn = http.client.HTTPConnection("127.0.0.1", app.port, timeout=10)
        conn.request("POST", "/notes", urllib.parse.urlencode({"note": "from the <form> & a browser"}),
                     {"Content-Type": "application/x-www-form-urlencoded"})
        response = conn.getresponse()
        lt.check(response.status == 303 and response.getheader("Location") == "/", "POST: %d" % response.status)
        conn.close()

        url = "http://127.0.0.1:%d/" % app.port
        result = lt.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                         "--disable-background-networking", "--disable-component-update", "--disable-sync",
                         "--user-data-dir=" + os.path.join(tmp.name, "profile"), "--dump-dom", url], timeout=90)
        dom = result.stdout.decode("utf-8", "replace")
        lt.check(result.returncode == 0, "chromium exit %d: %s" % (result.returncode, result.stderr[-2000:]))
        print(dom, flush=True)
        lt.check("<title>Notes</title>" in dom and '<ul id="notes">' in dom, "no notes list in the DOM")
        lt.check("from the database client" in dom, "the 2-tier note is missing")
        lt.check("from the &lt;form&gt; &amp; a browser" in dom, "the 3-tier note is missing or not escaped")
        lt.check(dom.count("<li>") == 2, "two notes expected")
        app.wait_for(r"\"GET /\" 200 OK")
    tmp.cleanup()


lt.main(test)
