"""The batch endpoint: up to 1,000 calls in one multipart/mixed request, each answered in its own part.

Sending batch requests (developers.google.com/calendar/api/guides/batch): each part is
an ``application/http`` request with a ``Content-ID``; the answer part carries
``Content-ID: <response-...>``; the outer request's Authorization applies to every part.
"""

from __future__ import annotations

import json
import secrets
import urllib.parse
from email.parser import BytesParser
from email.policy import HTTP

from .errors import ApiError


class BatchMixin:
    """POST /batch/calendar/v3 (mixed into GoogleEmulator)."""

    # -- batch ------------------------------------------------------------------------------
    def batch(self, content_type, body, headers):
        boundary = "batch_" + secrets.token_hex(8)
        message = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
        parts = message.get_payload() if message.is_multipart() else []
        if not parts or len(parts) > 1000:
            return 400, "text/plain", b"invalid batch"
        out = []
        for part in parts:
            content_id = part.get("Content-ID", "")
            raw = part.get_payload(decode=False)
            raw = raw.encode() if isinstance(raw, str) else raw
            head, _, inner_body = raw.replace(b"\r\n", b"\n").partition(b"\n\n")
            lines = head.decode().split("\n")
            method, target, _version = lines[0].split(" ", 2)
            inner_headers = {"Authorization": headers.get("Authorization", "")}
            for line in lines[1:]:
                if ":" in line:
                    key, value = line.split(":", 1)
                    inner_headers[key.strip().title()] = value.strip()
            parsed = urllib.parse.urlsplit(target)
            query = dict(urllib.parse.parse_qsl(parsed.query))
            try:
                payload = json.loads(inner_body) if inner_body.strip() else None
                status, data, extra = self.api(method, parsed.path, query, inner_headers, payload)
            except ApiError as exc:
                status, data, extra = exc.status, exc.body(), exc.headers
            except ValueError:
                status, data, extra = 400, ApiError(400, "parseError", "Parse Error").body(), {}
            text = json.dumps(data) if data is not None else ""
            head = [f"HTTP/1.1 {status} {'OK' if status < 300 else 'Error'}",
                    "Content-Type: application/json; charset=UTF-8"]
            head += [f"{k}: {v}" for k, v in extra.items()]
            out.append(f"--{boundary}\r\nContent-Type: application/http\r\n"
                       f"Content-ID: <response-{content_id.strip('<>')}>\r\n\r\n"
                       + "\r\n".join(head) + f"\r\nContent-Length: {len(text.encode())}\r\n\r\n{text}\r\n")
        out.append(f"--{boundary}--\r\n")
        return 200, f"multipart/mixed; boundary={boundary}", "".join(out).encode()
