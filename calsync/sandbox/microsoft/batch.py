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

    @staticmethod
    def _check_batch(items):
        """Refuse what Graph refuses before running any item (400 for the whole batch).

        - JSON batching (learn.microsoft.com/graph/json-batching): at most 20 requests; each has an id,
          a method and a relative url; "Content-Type" is required for an item with a body.
        - Known issues, JSON batching (microsoft-graph-docs issue #16280; the validation in Microsoft's Graph
          SDKs, msgraph-sdk-javascript BatchRequestContent.validateDependencies): requests may only depend on
          one other request and the batch is fully parallel (no dependsOn), fully serial (each item on the one
          before) or "same" (every dependent item on one same item); anything else is 400 "Batch should be
          either fully sequential or fully parallel".
        - Request ids are unique (the SDKs refuse duplicates; so does the service).
        """
        if not isinstance(items, list) or not items or len(items) > 20:
            raise GraphError(400, "BadRequest", "A batch holds 1 to 20 requests.")
        ids = []
        for item in items:
            if not isinstance(item, dict) or not item.get("id") or not item.get("method") or not item.get("url"):
                raise GraphError(400, "BadRequest", "Each batch request needs an id, a method and a url.")
            if "body" in item and not any(k.lower() == "content-type" for k in (item.get("headers") or {})):
                raise GraphError(400, "BadRequest", f"Content-Type header is required for request {item['id']} "
                                 "with a body.")
            ids.append(str(item["id"]))
        if len(set(ids)) != len(ids):
            raise GraphError(400, "BadRequest", "Batch request ids must be unique.")
        deps = [[str(d) for d in (item.get("dependsOn") or [])] for item in items]
        if any(len(d) > 1 for d in deps) or any(d and d[0] not in ids[:n] for n, d in enumerate(deps)):
            # a dependency must be an earlier request of the same batch (msgraph-sdk-dotnet-core issue #891)
            raise GraphError(400, "BadRequest", "Batch should be either fully sequential or fully parallel")
        parallel = not any(deps)
        serial = not deps[0] and all(d == [ids[n]] for n, d in enumerate(deps[1:]))
        roots = {d[0] for d in deps if d}
        same = len(roots) == 1 and all(d or ids[n] in roots for n, d in enumerate(deps)) and \
            not deps[ids.index(next(iter(roots)))]
        if not (parallel or serial or same):
            raise GraphError(400, "BadRequest", "Batch should be either fully sequential or fully parallel")

    def batch(self, headers, body):
        requests_ = (body or {}).get("requests") if isinstance(body, dict) else None
        self._check_batch(requests_)
        # Graph hands a parallel batch's items to Outlook at most four at a time (Graph throttling guidance,
        # Outlook service limits; Microsoft Q&A 1660054), so a lone batch stays within the 4-concurrent
        # limit: the sandbox runs the items one after another. Each item counts against the mailbox's
        # quota, and an injected fault hits one item alone (429 + Retry-After, 5xx), as Graph reports it.
        results = {}
        for item in requests_:  # a dependency is always an earlier item (checked above)
            deps = [str(d) for d in item.get("dependsOn") or []]
            if any(results[d]["status"] >= 400 for d in deps):
                # a serial batch: the items after a failed one are not run and answer 424 (JSON batching)
                results[str(item["id"])] = {"id": str(item["id"]), "status": 424,
                                            "body": {"error": {"code": "FailedDependency",
                                                               "message": "The dependent request failed."}}}
                continue
            split = urllib.parse.urlsplit(item["url"])
            inner = {k.title(): v for k, v in (item.get("headers") or {}).items()}
            inner["Authorization"] = headers.get("Authorization", "")
            path = split.path if split.path.startswith("/v1.0") else "/v1.0" + ("" if split.path.startswith("/")
                                                                                  else "/") + split.path
            try:
                status, data, extra = self.graph(str(item["method"]).upper(), path,
                                                 dict(urllib.parse.parse_qsl(split.query)), inner, item.get("body"))
            except GraphError as exc:
                status, data, extra = exc.status, exc.body(), exc.headers
            results[str(item["id"])] = {"id": str(item["id"]), "status": status, "headers": extra, "body": data}
        answers = list(results.values())
        self.random.shuffle(answers)  # Graph answers out of order
        return 200, {"responses": answers}, {}
