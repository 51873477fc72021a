"""Renders an `assay report` page in headless Chromium and checks it like a person would look at it.

Usage: python3 scripts/report_browser_check.py REPORT.html SCREENSHOT.png [MAX_HEIGHT_PX]

Talks the Chrome DevTools Protocol over `--remote-debugging-pipe` (file descriptors 3 and 4), so it needs only the
standard library and Debian's `chromium`. Prints one JSON object: `console_errors` (console errors, uncaught
exceptions and failed loads), `plots` (each `svg.plot`: name, rendered width/height, number of marks), `sections`
and `screenshot` (bytes written). Exits non-zero only when the browser cannot be driven.
"""

import base64
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
    "--disable-gpu",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-extensions",
    "--disable-background-networking",
    "--remote-debugging-pipe",
    "about:blank",
]

PLOTS_JS = """JSON.stringify({
  plots: [...document.querySelectorAll('svg.plot')].map(svg => {
    const box = svg.getBoundingClientRect();
    return {name: svg.dataset.plot, width: box.width, height: box.height,
            marks: svg.querySelectorAll('.mark').length,
            title: (svg.querySelector('title') || {}).textContent || ''};
  }),
  sections: [...document.querySelectorAll('section')].map(s => s.id),
  external: [...document.querySelectorAll('script[src],link[href],img[src]')].length,
  height: document.documentElement.scrollHeight
})"""


def move_descriptors(commands, replies):
    # Duplicate both first so neither target slot overwrites the other's source.
    commands, replies = os.dup(commands), os.dup(replies)
    os.dup2(commands, 3)
    os.dup2(replies, 4)


class Browser:
    def __init__(self, binary, profile):
        to_browser_r, to_browser_w = os.pipe()
        from_browser_r, from_browser_w = os.pipe()
        # Chromium reads commands on fd 3 and writes replies on fd 4. The child's descriptors are moved there
        # before exec; 3 and 4 are listed in pass_fds so the close-fds step that follows keeps them open.
        self.process = subprocess.Popen(
            [binary, f"--user-data-dir={profile}", *CHROMIUM_FLAGS],
            pass_fds=(3, 4, to_browser_r, from_browser_w),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=lambda: move_descriptors(to_browser_r, from_browser_w),
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self.writer = os.fdopen(to_browser_w, "wb")
        self.reader = os.fdopen(from_browser_r, "rb")
        self.next_id = 0
        self.events = []
        self.buffer = b""

    def _read_message(self):
        while b"\0" not in self.buffer:
            chunk = os.read(self.reader.fileno(), 1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def send(self, method, session=None, **params):
        self.next_id += 1
        request = {"id": self.next_id, "method": method, "params": params}
        if session:
            request["sessionId"] = session
        self.writer.write(json.dumps(request).encode() + b"\0")
        self.writer.flush()
        while True:
            message = self._read_message()
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def wait_for(self, method, timeout=20.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for event in self.events:
                if event.get("method") == method:
                    return event
            self.events.append(self._read_message())
        raise RuntimeError(f"timed out waiting for {method}")

    def close(self):
        try:
            self.send("Browser.close")
        except Exception:  # noqa: BLE001 - the browser may already be gone
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def console_errors(events):
    errors = []
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            errors.append(" ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", [])))
        elif method == "Runtime.exceptionThrown":
            errors.append(params.get("exceptionDetails", {}).get("text", "exception"))
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            errors.append(params["entry"].get("text", "log error"))
        elif method == "Network.loadingFailed":
            errors.append(f"load failed: {params.get('errorText')}")
    return errors


def main():
    report, screenshot = pathlib.Path(sys.argv[1]).resolve(), pathlib.Path(sys.argv[2])
    max_height = int(sys.argv[3]) if len(sys.argv) > 3 else None
    binary = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if binary is None:
        sys.exit("no chromium on PATH (Debian: apt-get install --no-install-recommends chromium)")
    with tempfile.TemporaryDirectory() as profile:
        browser = Browser(binary, profile)
        try:
            target = browser.send("Target.createTarget", url="about:blank")["targetId"]
            session = browser.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
            for domain in ("Page", "Runtime", "Log", "Network"):
                browser.send(f"{domain}.enable", session)
            browser.send("Emulation.setDeviceMetricsOverride", session, width=1400, height=900,
                         deviceScaleFactor=1, mobile=False)
            browser.send("Page.navigate", session, url=report.as_uri())
            browser.wait_for("Page.loadEventFired")
            result = browser.send("Runtime.evaluate", session, expression=PLOTS_JS, returnByValue=True)
            page = json.loads(result["result"]["value"])
            shot = browser.send("Page.captureScreenshot", session, format="png", captureBeyondViewport=True,
                                clip={"x": 0, "y": 0, "width": 1400, "scale": 1,
                                      "height": min(page["height"], max_height or page["height"])})
            data = base64.b64decode(shot["data"])
            screenshot.write_bytes(data)
            page["console_errors"] = console_errors(browser.events)
            page["screenshot"] = len(data)
            print(json.dumps(page))
        finally:
            browser.close()


if __name__ == "__main__":
    main()
