"""Screenshots of the running product (``bin/run``) for the README.

    /opt/odoo18/venv/bin/python -m devtools.screenshot [--view conflict|health] [--url http://127.0.0.1:8069]

``conflict`` signs in as the demo dispatcher, opens the first open calendar conflict and
clicks Review; ``health`` signs in as the admin and opens the Calendar Health panel with
every company's group unfolded. Captured with headless Chromium over the DevTools
protocol (``websocket-client``, which the test command installs into Odoo's Python).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import subprocess
import tempfile
import time

import requests
import websocket

from devtools import tools
from devtools.pgcluster import free_port

OPEN_WIZARD = """
(async () => {
  const wait = async (selector, ms = 15000) => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      const found = document.querySelector(selector);
      if (found) return found;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error("not found: " + selector);
  };
  (await wait(".o_list_view .o_data_row td.o_data_cell[name=kind]")).click();
  (await wait(".o_form_view button[name=action_review]")).click();
  await wait(".modal .o_field_one2many .o_data_row");
  await new Promise((r) => setTimeout(r, 800));
  return "ok";
})()
"""


OPEN_HEALTH = """
(async () => {
  const wait = async (selector, ms = 15000) => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      const found = document.querySelectorAll(selector);
      if (found.length) return found;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error("not found: " + selector);
  };
  for (const header of await wait(".o_list_view .o_group_header")) {
    header.click();
    await new Promise((r) => setTimeout(r, 500));
  }
  await wait(".o_list_view .o_data_row");
  await new Promise((r) => setTimeout(r, 800));
  return "ok";
})()
"""

VIEWS = {  # name: (default login, path, script, default output)
    "conflict": ("dispatcher", "/odoo/calendar-conflicts", OPEN_WIZARD, "docs/img/conflict-review-wizard.png"),
    "health": ("admin", "/odoo/calendar-health", OPEN_HEALTH, "docs/img/calendar-health.png"),
}


class Page:
    def __init__(self, ws_url):
        self.ws = websocket.create_connection(ws_url, timeout=60)
        self.next_id = 0

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(message["error"])
                return message.get("result", {})


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--view", choices=sorted(VIEWS), default="conflict")
    parser.add_argument("--url", default="http://127.0.0.1:8069")
    parser.add_argument("--login")
    parser.add_argument("--out")
    args = parser.parse_args(argv)
    login, path, script, out = VIEWS[args.view]
    args.login, args.out = args.login or login, args.out or out

    session = requests.Session()
    answer = session.post(f"{args.url}/web/session/authenticate", json={
        "jsonrpc": "2.0", "params": {"db": "fieldops", "login": args.login, "password": args.login}}, timeout=30)
    answer.raise_for_status()
    sid = session.cookies.get("session_id")
    port = free_port()
    profile = tempfile.mkdtemp(prefix="fieldops-chrome-")
    chrome = subprocess.Popen([tools.chromium(), "--headless=new", "--no-sandbox",
                               "--disable-gpu", f"--remote-debugging-port={port}", f"--user-data-dir={profile}",
                               "--window-size=1600,700", "about:blank"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                targets = requests.get(f"http://127.0.0.1:{port}/json", timeout=2).json()
                target = next(t for t in targets if t["type"] == "page")
                break
            except (requests.RequestException, StopIteration):
                time.sleep(0.1)
        page = Page(target["webSocketDebuggerUrl"])
        page.call("Network.enable")
        page.call("Network.setCookie", name="session_id", value=sid, url=args.url)
        page.call("Page.enable")
        page.call("Page.navigate", url=f"{args.url}{path}")
        time.sleep(3)
        result = page.call("Runtime.evaluate", expression=script, awaitPromise=True, returnByValue=True)
        if result.get("result", {}).get("value") != "ok":
            raise SystemExit(f"could not open the {args.view} view: {result}")
        shot = page.call("Page.captureScreenshot", format="png")
        os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
        with open(args.out, "wb") as handle:
            handle.write(base64.b64decode(shot["data"]))
        print(f"wrote {args.out}")
    finally:
        chrome.terminate()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main()
