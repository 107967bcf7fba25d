"""Hooks for the schemathesis run against Switchboard's API (crates/web/tests/it/api/schemathesis.rs).

Loaded with SCHEMATHESIS_HOOKS=<this file>. They do three things:

- teach schemathesis NDJSON (`application/x-ndjson`, the audit and compliance exports), so
  `response_schema_conformance` checks every line: the document describes the body as the
  sequence of its lines;
- keep the run on this machine: a request body whose `url` could name an http(s) server
  (creating a connector, running the doctor) is pointed at a closed port on loopback, so
  Switchboard never reaches out to a host that hypothesis made up. Anything else in `url`
  is sent as generated, so the server's refusal of it is still tested;
- write down each answer's status (to SWITCHBOARD_SCHEMATHESIS_ANSWERS), so the test can
  tell the run reached the API's logic, not only its refusals.
"""

import json
import os

import schemathesis

# Where every generated http(s) URL is sent instead: nothing listens on port 9 of loopback,
# so the connection is refused at once and the answer is Switchboard's diagnosis.
CONTAINED = "http://127.0.0.1:9/mcp"


@schemathesis.deserializer("application/x-ndjson")
def ndjson(ctx, response):
    text = response.content.decode("utf-8")
    lines = text.split("\n")
    if lines[-1] != "":
        raise ValueError("NDJSON must end each line, the last included, with a newline")
    return [json.loads(line) for line in lines[:-1]]


def could_reach_a_server(value):
    # What a WHATWG URL parser would see: tabs and newlines removed anywhere, C0 controls
    # and spaces trimmed at both ends, the scheme in any case.
    cleaned = "".join(c for c in value if c not in "\t\n\r").strip("".join(map(chr, range(0x21)))).lower()
    return cleaned.startswith(("http:", "https:"))


@schemathesis.hook
def before_call(context, case, kwargs):
    body = case.body
    if isinstance(body, dict) and isinstance(body.get("url"), str) and could_reach_a_server(body["url"]):
        body["url"] = CONTAINED


@schemathesis.hook
def after_call(context, case, response):
    # One line per answer, `METHOD PATH STATUS`, for the test to count what was reached.
    record = os.environ.get("SWITCHBOARD_SCHEMATHESIS_ANSWERS")
    if record:
        with open(record, "a", encoding="utf-8") as out:
            out.write(f"{case.operation.method.upper()} {case.operation.path} {response.status_code}\n")
