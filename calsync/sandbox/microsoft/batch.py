"""$batch: up to 20 requests in one JSON body, ``dependsOn`` ordering, 424 after a failed dependency.

JSON batching (learn.microsoft.com/graph/json-batching): each item has an ``id``, a
``method``, a relative ``url``, optional ``headers`` / ``body`` / ``dependsOn``; the
answers come back in any order.
"""

from __future__ import annotations

import urllib.parse

from .errors import GraphError


class BatchMixin:
    """POST /v1.0/$batch (mixed into MicrosoftEmulator)."""

    def batch(self, headers, body):
        requests_ = (body or {}).get("requests")
        if not isinstance(requests_, list) or not requests_ or len(requests_) > 20:
            raise GraphError(400, "BadRequest", "A batch holds 1 to 20 requests.")
        results, done = {}, set()
        pending = list(requests_)
        while pending:
            progress = False
            for item in list(pending):
                deps = item.get("dependsOn") or []
                if not all(d in done for d in deps):
                    continue
                pending.remove(item)
                progress = True
                done.add(item["id"])
                if any(results[d]["status"] >= 400 for d in deps):
                    results[item["id"]] = {"id": item["id"], "status": 424,
                                           "body": {"error": {"code": "FailedDependency"}}}
                    continue
                split = urllib.parse.urlsplit(item["url"])
                inner = {k.title(): v for k, v in (item.get("headers") or {}).items()}
                inner["Authorization"] = headers.get("Authorization", "")
                try:
                    status, data, extra = self.graph(item["method"], "/v1.0" + split.path if not
                                                     split.path.startswith("/v1.0") else split.path,
                                                     dict(urllib.parse.parse_qsl(split.query)), inner, item.get("body"))
                except GraphError as exc:
                    status, data, extra = exc.status, exc.body(), exc.headers
                results[item["id"]] = {"id": item["id"], "status": status, "headers": extra, "body": data}
            if not progress:
                raise GraphError(400, "BadRequest", "dependsOn names an unknown request.")
        answers = list(results.values())
        self.random.shuffle(answers)  # Graph answers out of order
        return 200, {"responses": answers}, {}
