"""websocket_chat with a real browser: headless Chromium opens the chat page, its
JavaScript connects with the browser's own WebSocket, and a Python client in the
same room (the `websockets` library) talks with it.

  1. Chromium opens http://127.0.0.1:PORT/ with --remote-debugging-port=0: it writes
     the port it chose to DevToolsActivePort in its profile folder;
  2. /json/list on that port names the page's DevTools WebSocket, over which
     Runtime.evaluate runs JavaScript in the page;
  3. the page types and sends a message; the Python client sees it and answers;
  4. the page shows the answer.

Usage: test_browser.py PATH/TO/websocket_chat
"""
import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

import lessontest as lt

try:
    import websockets
except ImportError:
    lt.skip("Python's websockets library is not installed (apt-get install python3-websockets)")

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--remote-debugging-port=0"]


def start_chromium(url, profile):
    """Chromium in a process group of its own, so that the test can end it and
    every process it started (and nothing else)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        lt.skip("chromium is not installed (apt-get install chromium)")
    log = open(os.path.join(profile, "chromium.log"), "wb")
    return subprocess.Popen([chromium] + CHROMIUM_FLAGS + ["--user-data-dir=" + profile, url],
                            stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)


def stop_chromium(proc):
    for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
        if proc.poll() is not None:
            break
        try:
            os.killpg(proc.pid, sig)  # its own group: pgid == its pid
        except ProcessLookupError:
            break
        try:
            proc.wait(wait)
        except subprocess.TimeoutExpired:
            pass


def poll(what, check, proc, timeout=30.0):
    """Calls CHECK every 0.1 s until it returns something, for TIMEOUT seconds at most.
    Chromium gives no other signal that its port or its page is ready."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError("chromium exited (code %s) while waiting for %s" % (proc.returncode, what))
        result = check()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError("timed out after %gs waiting for %s" % (timeout, what))


def devtools_page_url(profile, page_url, proc):
    def port():
        try:
            with open(os.path.join(profile, "DevToolsActivePort")) as f:
                first = f.read().split()
            return int(first[0]) if first else None
        except (OSError, ValueError):
            return None

    devtools_port = poll("DevToolsActivePort", port, proc)

    def page():
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/json/list" % devtools_port, timeout=5) as r:
                targets = json.load(r)
        except OSError:
            return None
        for target in targets:
            if target.get("type") == "page" and target.get("url", "").startswith(page_url):
                return target["webSocketDebuggerUrl"]
        return None

    return poll("the chat page in /json/list", page, proc)


class Page:
    """Runtime.evaluate over the page's DevTools WebSocket."""

    def __init__(self, devtools):
        self.devtools = devtools
        self.last_id = 0

    async def evaluate(self, expression):
        self.last_id += 1
        await self.devtools.send(json.dumps({"id": self.last_id, "method": "Runtime.evaluate",
                                             "params": {"expression": expression, "returnByValue": True}}))
        for _ in range(1000):  # skip events; the answer carries our id
            reply = json.loads(await asyncio.wait_for(self.devtools.recv(), 10))
            if reply.get("id") == self.last_id:
                result = reply.get("result", {})
                if "error" in reply or "exceptionDetails" in result:
                    return None  # e.g. "Execution context was destroyed" while loading
                return result.get("result", {}).get("value")
        raise AssertionError("no answer from DevTools")

    async def wait_until(self, what, expression, timeout=20.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = await self.evaluate(expression)
            if value:
                return value
            await asyncio.sleep(0.1)
        raise AssertionError("timed out after %gs waiting until %s (%s)" % (timeout, what, expression))


async def conversation(room_uri, devtools_url):
    async with websockets.connect(room_uri) as python_client, \
            websockets.connect(devtools_url, max_size=None) as devtools:
        page = Page(devtools)
        await page.wait_until("the page has loaded", 'document.readyState === "complete"')
        await page.wait_until("the page's WebSocket is open",
                              'document.getElementById("status").textContent === "connected"')

        # The page sends, as a person would: type, then click Send.
        await page.evaluate('document.getElementById("text").value = "hola desde Chromium";'
                            'document.getElementById("send").click(); true')
        message = await asyncio.wait_for(python_client.recv(), 10)
        lt.check(message == "browser: hola desde Chromium", "the Python client got %r" % message)

        # The Python client answers; the page shows it.
        await python_client.send("python: hola, navegador")
        await page.wait_until("the page shows the answer",
                              'document.getElementById("log").textContent.includes("python: hola, navegador")')
        shown = await page.evaluate('Array.from(document.querySelectorAll("#log li"), li => li.textContent)')
        print("the page shows: %r" % shown)
        lt.check(shown == ["browser: hola desde Chromium", "python: hola, navegador"], "the page's list")


def test():
    exe = sys.argv[1]
    profile = tempfile.mkdtemp(prefix="csnet-chromium-")
    try:
        with lt.Server([exe, "127.0.0.1", "0"]) as server:
            page_url = "http://127.0.0.1:%d/" % server.port
            chromium = start_chromium(page_url, profile)
            try:
                devtools_url = devtools_page_url(profile, page_url, chromium)
                room_uri = "ws://127.0.0.1:%d/chat" % server.port
                asyncio.run(asyncio.wait_for(conversation(room_uri, devtools_url), 60))
                server.wait_for(r"GET / -> 200")
                server.wait_for(r"sent 28 bytes, delivered to 2 clients")
            finally:
                stop_chromium(chromium)
            server.wait_for(r"left: ")  # the browser's connection ends with it
    finally:
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    lt.main(test)
