"""Screenshots of the running product (``bin/run``) for the README.

    /opt/odoo18/venv/bin/python -m devtools.screenshot [--view conflict|health|history|job|organization|all]
        [--url http://127.0.0.1:8069]

``conflict`` signs in as the demo dispatcher, opens the first open calendar conflict and
clicks Review; ``health`` signs in as the admin and opens the Calendar Health board;
``history`` the Sync History graph; ``job`` a dispatcher's new job, whose form says which
calendar will carry it; ``organization`` the first organization connection with its technicians;
``all`` takes every one. Captured at 1440 px wide with headless
Chromium over the DevTools protocol (``websocket-client``, which the test command installs
into Odoo's Python).
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


WAIT_FOR = """
(async () => {
  const end = Date.now() + 15000;
  while (Date.now() < end) {
    if (document.querySelector(%s)) {
      await new Promise((r) => setTimeout(r, 1000));
      return "ok";
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return "not found";
})()
"""

OPEN_HEALTH = WAIT_FOR % json.dumps(".o_kanban_view .o_kanban_record .o_fieldops_health_card")
OPEN_HISTORY = WAIT_FOR % json.dumps(".o_graph_view canvas")
OPEN_JOB = WAIT_FOR % json.dumps(".o_form_view .o_fieldops_calendar_target")
OPEN_ORGANIZATION = WAIT_FOR % json.dumps(".o_form_view .o_field_one2many .o_data_row")

VIEWS = {  # name: (default login, path, script, default output)
    "conflict": ("dispatcher", "/odoo/calendar-conflicts", OPEN_WIZARD, "docs/img/conflict-review-wizard.png"),
    "health": ("admin", "/odoo/calendar-health", OPEN_HEALTH, "docs/img/calendar-health.png"),
    "history": ("admin", "/odoo/action-fieldops_calendar_sync.action_calendar_sync_run", OPEN_HISTORY,
                "docs/img/sync-history.png"),
    "job": ("dispatcher", "/odoo/action-fieldservice.action_fsm_operation_order/new", OPEN_JOB,
            "docs/img/job-calendar-hint.png"),
    "organization": ("admin", "/odoo/calendar-organizations/1", OPEN_ORGANIZATION,
                     "docs/img/organization-connection.png"),
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
    parser.add_argument("--view", choices=[*sorted(VIEWS), "all"], default="conflict")
    parser.add_argument("--url", default="http://127.0.0.1:8069")
    parser.add_argument("--login")
    parser.add_argument("--out")
    parser.add_argument("--height", type=int, default=800)
    args = parser.parse_args(argv)
    if args.view == "all":
        for name in sorted(VIEWS):
            shoot(args, name)
    else:
        shoot(args, args.view)


def shoot(args, view):
    login, path, script, out = VIEWS[view]
    login, out = args.login or login, (args.out if args.view != "all" else None) or out

    session = requests.Session()
    answer = session.post(f"{args.url}/web/session/authenticate", json={
        "jsonrpc": "2.0", "params": {"db": "fieldops", "login": login, "password": login}}, timeout=30)
    answer.raise_for_status()
    sid = session.cookies.get("session_id")
    port = free_port()
    profile = tempfile.mkdtemp(prefix="fieldops-chrome-")
    chrome = subprocess.Popen([tools.chromium(), "--headless=new", "--no-sandbox",
                               "--disable-gpu", f"--remote-debugging-port={port}", f"--user-data-dir={profile}",
                               f"--window-size=1440,{args.height}", "about:blank"],
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
            raise SystemExit(f"could not open the {view} view: {result}")
        shot = page.call("Page.captureScreenshot", format="png")
        os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
        with open(out, "wb") as handle:
            handle.write(base64.b64decode(shot["data"]))
        print(f"wrote {out}")
    finally:
        chrome.terminate()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main()
