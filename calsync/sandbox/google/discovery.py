"""Checks read from Google's own description of the Calendar API, loaded at run time.

google-api-python-client ships the Calendar v3 discovery document
(``googleapiclient/discovery_cache/documents/calendar.v3.json``): every method's
parameters (type, format, enum, minimum / maximum) and the Event schema. Values
of the parameters and body fields it names are checked against it. It does not
say that other parameters are refused, and the real API accepts them (Odoo 18's
google_calendar sends ``singleEvents=true`` on events.delete): unknown names pass.
"""

from __future__ import annotations

import functools
import json
import os
import re
from datetime import date, datetime

from .errors import ApiError

# "Must be an RFC3339 timestamp with mandatory time zone offset" (events.list timeMin / timeMax)
_RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$", re.IGNORECASE)


@functools.lru_cache(maxsize=1)
def document() -> dict:
    """The discovery document of the installed google-api-python-client (not a copy of ours)."""
    import googleapiclient

    path = os.path.join(os.path.dirname(googleapiclient.__file__), "discovery_cache", "documents",
                        "calendar.v3.json")
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def rfc3339(text) -> datetime:
    """An RFC 3339 timestamp with its offset; ValueError otherwise."""
    if not isinstance(text, str) or not _RFC3339.match(text):
        raise ValueError(text)
    return datetime.fromisoformat(text.upper().replace("Z", "+00:00"))


def _parameters(resource: str, method: str) -> dict:
    doc = document()
    out = dict(doc.get("parameters", {}))  # alt, fields, prettyPrint, quotaUser...: every method takes them
    out.update(doc["resources"][resource]["methods"][method].get("parameters", {}))
    return out


def check_query(resource: str, method: str, query: dict) -> None:
    """400 ``invalid`` for a known query parameter with a value its description does not allow."""
    for name, value in query.items():
        spec = _parameters(resource, method).get(name)
        if spec is None or spec.get("location") != "query":
            continue  # not described: the document does not say it is refused
        if not _value_ok(spec, value):
            raise ApiError(400, "invalid", f"Invalid value for: {name}")


def _value_ok(spec: dict, value: str) -> bool:
    if "enum" in spec and value not in spec["enum"]:
        return False
    kind = spec.get("type")
    if kind == "boolean":
        return value.lower() in ("true", "false")  # the document is silent on case; Google's own samples: lower
    if kind == "integer":
        try:
            number = int(value)
        except ValueError:
            return False
        return not (("minimum" in spec and number < int(spec["minimum"])) or
                    ("maximum" in spec and number > int(spec["maximum"])))
    if spec.get("format") == "date-time":
        try:
            rfc3339(value)
        except ValueError:
            return False
    return True


def check_body(schema: str, body) -> dict:
    """The body with JSON numbers in string fields written as strings; 400 for a field of the wrong shape.

    Fields the schema does not name are left alone (the document does not say they are refused).
    JSON null is accepted anywhere: it clears a field (Odoo sends ``"dateTime": null`` beside a date).
    """
    schemas = document()["schemas"]
    return _checked(schemas[schema], body, schemas, "resource")


def _checked(spec, value, schemas, where):
    if "$ref" in spec:
        spec = schemas[spec["$ref"]]
    if value is None:
        return None
    kind = spec.get("type")
    if kind == "object":
        if not isinstance(value, dict):
            raise _invalid(where)
        props, extra = spec.get("properties", {}), spec.get("additionalProperties")
        out = {}
        for key, item in value.items():
            inner = props.get(key) or extra
            out[key] = _checked(inner, item, schemas, f"{where}.{key}") if inner else item
        return out
    if kind == "array":
        if not isinstance(value, list):
            raise _invalid(where)
        return [_checked(spec.get("items", {}), item, schemas, f"{where}[{n}]") for n, item in enumerate(value)]
    if kind == "string":
        # a number where a string is described is taken as its text: Odoo 18 stores integer ids in
        # extendedProperties and works against the real API
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise _invalid(where)
        if spec.get("format") == "date":
            try:
                date.fromisoformat(value)
            except ValueError:
                raise _invalid(where) from None
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise _invalid(where)
        return value
    if kind == "integer":
        if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str) and
                                                                       value.lstrip("-").isdigit())):
            raise _invalid(where)
        return int(value)
    return value


def _invalid(where):
    return ApiError(400, "invalid", f"Invalid value at '{where}'")
