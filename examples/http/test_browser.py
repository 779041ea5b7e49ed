"""A real browser against http_server: headless Chromium loads the lesson's page
(the default root, www/), and the test reads what it rendered: the page's own script
writes whether style.css was applied and logo.svg decoded, and lists the requests
the browser made. The server's log must show the page, the CSS and the image.

usage: test_browser.py HTTP_SERVER
"""
import os
import shutil
import sys
import tempfile

import lessontest as lt

# The flags that make Chromium quiet and self-contained here (see TESTING-FACTS.md).
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    lt.skip("chromium is not installed")


def test():
    chromium = find_chromium()
    server = sys.argv[1]
    with lt.Server([server, "127.0.0.1", "0"]) as srv, tempfile.TemporaryDirectory(prefix="csnet-chromium-") as profile:
        url = "http://127.0.0.1:%d/" % srv.port
        r = lt.run([chromium] + FLAGS + ["--user-data-dir=" + profile, "--dump-dom", url], timeout=90)
        dom = r.stdout.decode("utf-8", "replace")
        lt.check(r.returncode == 0 and "</html>" in dom, "chromium failed (exit %d):\n%s\n%s"
                 % (r.returncode, dom[-2000:], r.stderr.decode("utf-8", "replace")[-2000:]))
        lt.check("<title>csnet: la lecci\u00f3n HTTP</title>" in dom, "the page's title")
        lt.check('id="check" class="ok"' in dom, "the page says the CSS or the image is missing:\n" + dom)
        lt.check("style.css: aplicada; logo.svg: cargada (360x120)" in dom, "what the page checked")
        for path in ("/style.css", "/logo.svg"):
            lt.check("<td>%s</td><td>http/1.1</td>" % path in dom, "the browser lists %s over http/1.1" % path)
        # The server saw the three requests.
        for path in ("/", "/style.css", "/logo.svg"):
            srv.wait_for(r'"GET %s HTTP/1.1" 200 \d+' % path)
        print("rendered:", dom[dom.find('<p id="check"'):][:100], flush=True)


if __name__ == "__main__":
    lt.main(test)
