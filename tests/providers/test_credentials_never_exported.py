"""Credentials planted everywhere an app can put them reach no exported byte.

An app configured by ``configure()`` (OTLP to a real receiver, plus the file
exporter) runs real ChatOpenAI / ChatAnthropic clients against a local API, tools,
a chain with metadata, tags and custom events, and errors. Every planted secret
is then searched for in the raw OTLP requests the receiver got (spans and
metrics, as bytes) and in the raw file, with content capture off and on.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from integration.otlp_receiver import OTLPReceiver

import otel_langchain

from .scripted_api import ScriptedAPI

pytestmark = pytest.mark.integration

REPO_ROOT = Path(otel_langchain.__file__).resolve().parent.parent
APP_TIMEOUT_SECONDS = 90

SECRETS = {
    "URL_PW": "urlpw7Qm2xLk",
    "URL_TOKEN": "urltokZ8k3xVb",
    "ECHOED_KEY": "deadbeef" * 4,
    "MODEL_KEY": "modelkeyQ8w4e6r2",
    "ANTHROPIC_KEY": "anthrokeyU7i9o1p3",
    "ANTHROPIC_BAD_KEY": "anthrobadA2s4d6f8",
    "DB_PW": "dbpwK9v2qHs",
    "META_TOKEN": "metatokP3z9qa",
    "META_API_KEY": "metaapikeyN4m6",
    "TAG_PW": "tagpwR5t8wer",
    "EVENT_TOKEN": "evtokW2m7qzx",
    "TOOL_PW": "toolpwJ4n6bgt",
    "TOOL_STR_PW": "strpwX7c1vfr",
    "PROMPT_PW": "promptpwH3jk",
    "ENV_KEY": "envkeyT6y8u0mn",
    "HEADER_KEY": "hdrkeyL5k7j9hg",
}

APP = """
import os, sys
from langchain_anthropic import ChatAnthropic
from langchain_core.callbacks import dispatch_custom_event
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableLambda
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI
from otel_langchain import instrument
from otel_langchain.configure import configure

api_url, endpoint, file_path = sys.argv[1], sys.argv[2], sys.argv[3]
S = {name: os.environ["PLANT_" + name] for name in os.environ["PLANTED"].split(",")}
telemetry = configure(
    exporter=["otlp", "file"], endpoint=endpoint, protocol="grpc", file=file_path,
    headers={"x-team-key": S["HEADER_KEY"]}, service_name="planted",
)
instrument()

def attempt(call):
    try:
        call()
    except Exception as exc:
        print("expected:", type(exc).__name__, flush=True)

@tool
def login(username: str, password: str) -> str:
    \"\"\"Log in to the billing system.\"\"\"
    return f"welcome {username}, password {password} accepted"

@tool
def run_query(query: str) -> str:
    \"\"\"Run a query given as one string.\"\"\"
    return "ok: " + query

@tool
def fetch(name: str) -> str:
    \"\"\"Fetch a report.\"\"\"
    raise ConnectionError(
        f"GET https://admin:{S['URL_PW']}@reports.internal/api?token={S['URL_TOKEN']} failed"
    )

@tool
def acme(name: str) -> str:
    \"\"\"Call the ACME API.\"\"\"
    key, team = os.environ["ACME_API_KEY"], S["HEADER_KEY"]
    raise PermissionError(f"ACME refused key {key} and team {team}")

def progress(text):
    dispatch_custom_event("progress", {"detail": f"retrying with token={S['EVENT_TOKEN']}"})
    return text

def openai(key):
    return ChatOpenAI(model="gpt-4o-mini", api_key=key, base_url=api_url + "/v1", max_retries=0)

def anthropic(key):
    return ChatAnthropic(
        model="claude-3-5-haiku-latest", api_key=key, base_url=api_url, max_retries=0
    )

openai_ok, openai_bad = openai(S["MODEL_KEY"]), openai(S["ECHOED_KEY"])
claude, claude_bad = anthropic(S["ANTHROPIC_KEY"]), anthropic(S["ANTHROPIC_BAD_KEY"])
prompt = ChatPromptTemplate.from_messages([("human", "{q}")])
config = {
    "metadata": {
        "db": f"postgres://user:{S['DB_PW']}@db/app",
        "note": f"token={S['META_TOKEN']}",
        "api_key": S["META_API_KEY"],
    },
    "tags": [f"password={S['TAG_PW']}"],
}
chain = RunnableLambda(progress) | prompt | openai_ok
chain.invoke(f"my password is {S['PROMPT_PW']}", config=config)
list(chain.stream(f"my password is {S['PROMPT_PW']}", config=config))
(prompt | claude).invoke({"q": "hello"}, config=config)
attempt(lambda: openai_bad.invoke("hi", config=config))
attempt(lambda: claude_bad.invoke("hi"))  # the API refuses this key, quoting it
login.invoke({"username": "ann", "password": S["TOOL_PW"]}, config=config)
run_query.invoke(f"select * where password={S['TOOL_STR_PW']}", config=config)
attempt(lambda: fetch.invoke({"name": "q3"}, config=config))
attempt(lambda: acme.invoke({"name": "x"}, config=config))
# The tool result is echoed to a model, as an agent does.
openai_ok.invoke(f"the login tool said: welcome ann, password {S['TOOL_PW']} accepted")
telemetry.shutdown()
print("app finished", flush=True)
"""


@pytest.fixture
def api() -> Iterator[ScriptedAPI]:
    with ScriptedAPI() as server:
        server.rejected_keys.add(SECRETS["ECHOED_KEY"])
        server.forbidden_keys.add(SECRETS["ANTHROPIC_BAD_KEY"])
        yield server


def _run_app(api: ScriptedAPI, receiver: OTLPReceiver, path: Path, capture: bool) -> str:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("OTEL_", "OPENAI_", "ANTHROPIC_"))
    }
    env.update({f"PLANT_{name}": value for name, value in SECRETS.items()})
    env["PLANTED"] = ",".join(SECRETS)
    env["ACME_API_KEY"] = SECRETS["ENV_KEY"]
    env["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] = "true" if capture else "false"
    env["OTEL_METRIC_EXPORT_INTERVAL"] = "60000"
    env["PYTHONPATH"] = str(REPO_ROOT)
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(APP), api.url, receiver.endpoint, str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=APP_TIMEOUT_SECONDS,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "app finished" in result.stdout, result.stdout + result.stderr[-3000:]
    return result.stdout


@pytest.mark.parametrize("capture", [False, True], ids=["capture-off", "capture-on"])
def test_planted_credentials_reach_no_exported_byte(
    api: ScriptedAPI, tmp_path: Path, capture: bool
) -> None:
    """No planted secret is in any OTLP request or in the file, with capture off and on."""
    path = tmp_path / "telemetry.jsonl"
    # The app's shutdown waits for the last export, so everything is in when it exits.
    with OTLPReceiver("grpc") as receiver:
        stdout = _run_app(api, receiver, path, capture)
        wire = b"".join(
            r.SerializeToString() for r in [*receiver.trace_requests, *receiver.metrics_requests]
        )
        spans = receiver.spans()
    file_text = path.read_text()

    leaks = {
        name: [
            where
            for where, data in (("otlp", wire), ("file", file_text.encode()))
            if value.encode() in data
        ]
        for name, value in SECRETS.items()
    }
    assert {name: where for name, where in leaks.items() if where} == {}
    assert stdout.count("expected:") == 4  # the errors the app provoked happened
    names = {s["name"] for s in spans}
    assert {"execute_tool login", "execute_tool fetch", "chat gpt-4o-mini"} <= names
    assert receiver.metrics_requests and "gen_ai.client.operation.duration" in file_text
    assert b"[REDACTED]" in wire and "[REDACTED]" in file_text
    if capture:
        assert "welcome ann" in file_text  # content was captured, minus the secret
