"""``python -m calsync.sandbox``: run both provider emulators on loopback until interrupted.

Writes an info file (URLs, sandbox client ids and secrets, the CA certificate to
trust) that the Odoo addon's sandbox mode reads, and prints it.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading

from .google import GoogleEmulator
from .kernel.tls import make_tls_material
from .microsoft import MicrosoftEmulator


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m calsync.sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--google-port", type=int, default=0)
    parser.add_argument("--microsoft-port", type=int, default=0)
    parser.add_argument("--state-dir", default=None,
                        help="keep the certificate and the calendars' state here between runs")
    parser.add_argument("--info-file", default=None, help="write the URLs and sandbox credentials here")
    parser.add_argument("--no-seed", action="store_true", help="start with empty calendars")
    parser.add_argument("--no-limits", action="store_true",
                        help="do not enforce the providers' quotas and concurrency limits")
    parser.add_argument("--allow-http-loopback", action="store_true",
                        help="accept plain-http webhook callbacks on loopback hosts (the real APIs require https)")
    args = parser.parse_args(argv)

    state_dir = args.state_dir
    if state_dir:
        os.makedirs(state_dir, exist_ok=True)
    tls = make_tls_material(os.path.join(state_dir, "tls") if state_dir else None, host=args.host)
    google = GoogleEmulator(
        tls, host=args.host, port=args.google_port, enforce_quotas=not args.no_limits,
        allow_http_loopback=args.allow_http_loopback,
        state_file=os.path.join(state_dir, "google.json") if state_dir else None,
    ).start()
    microsoft = MicrosoftEmulator(
        tls, host=args.host, port=args.microsoft_port, enforce_limits=not args.no_limits,
        allow_http_loopback=args.allow_http_loopback,
        state_file=os.path.join(state_dir, "microsoft.json") if state_dir else None,
    ).start()
    if not args.no_seed:
        google.seed_demo()
        microsoft.seed_demo()
    info = {
        "ca_cert": tls.cert_path,
        "google": {"base_url": google.base_url, "consent_url": google.consent_url, "client_id": google.client_id,
                   "client_secret": google.client_secret},
        "microsoft": {"base_url": microsoft.base_url, "consent_url": microsoft.consent_url,
                      "client_id": microsoft.client_id,
                      "client_secret": microsoft.client_secret},
    }
    if args.info_file:
        tmp = args.info_file + ".tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(info, handle, indent=2)
        os.replace(tmp, args.info_file)
    print(f"Google Calendar sandbox:   {google.base_url}")
    print(f"Microsoft 365 sandbox:     {microsoft.base_url}")
    print(f"Sign-in pages (http):      {google.consent_url}, {microsoft.consent_url}")
    print(f"CA certificate to trust:   {tls.cert_path}")
    sys.stdout.flush()

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    signal.signal(signal.SIGINT, lambda *a: stop.set())
    stop.wait()
    google.stop()
    microsoft.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
