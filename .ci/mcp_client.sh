#!/usr/bin/env bash
# The official MCP Python SDK (`mcp` on PyPI, pinned below with everything it installs)
# against `upgates serve --demo`'s /mcp: it lists the tools, calls a read, a write the demo's
# guardrail refuses (UPGATES_ALLOWED_STATUSES), a bad input, and no token (401). Exit code:
# the client's (.ci/mcp_client.py), non-zero on any answer not the expected one.
#
#   bash .ci/mcp_client.sh              # from the repository's root; builds `upgates` if needed
set -euo pipefail
cd "$(dirname "$0")/.."

# Shared with .ci/schemathesis.sh; the versions both install agree.
venv=target/ci-venv
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
# `pip freeze` of a fresh venv after `pip install mcp==2.3.0` on Python 3.11.
"$venv/bin/pip" install --quiet --disable-pip-version-check \
    mcp==2.3.0 mcp-types==2.3.0 \
    annotated-types==0.8.0 anyio==4.16.0 attrs==26.1.0 cffi==2.1.1 click==8.5.1 \
    cryptography==51.0.1 h11==0.16.0 httpcore2==2.17.0 httpx2==2.17.0 idna==3.21 \
    jsonschema==4.26.0 jsonschema-specifications==2025.9.1 opentelemetry-api==1.45.3 \
    pycparser==3.12 pydantic==2.14.4 pydantic_core==2.50.5 PyJWT==2.15.1 \
    python-multipart==0.0.34 referencing==0.37.0 rpds-py==2026.9.1 sse-starlette==3.7.1 \
    starlette==1.10.0 truststore==0.10.5 typing-inspection==0.4.5 typing_extensions==4.16.0 \
    uvicorn==0.55.0

# The root build of .ci/run (default members): nothing to rebuild there.
cargo build --quiet
upgates=target/debug/upgates

port=$("$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
token=$("$venv/bin/python" -c 'import secrets; print(secrets.token_hex(24))')
log=$(mktemp)

# The one guardrail the client's refused write meets: the bot may only mark orders sent.
UPGATES_BOT_TOKEN="$token" UPGATES_ALLOWED_STATUSES="Odeslaná" \
    "$upgates" serve --demo --listen "127.0.0.1:$port" >"$log" 2>&1 &
server=$!
stop() {
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    rm -f "$log"
}
trap stop EXIT

for _ in $(seq 1 120); do
    if "$venv/bin/python" -c "import urllib.request, sys; urllib.request.urlopen(sys.argv[1], timeout=1)" "$base/v1/health" 2>/dev/null; then
        break
    fi
    if ! kill -0 "$server" 2>/dev/null; then
        echo "upgates serve --demo exited:" >&2
        cat "$log" >&2
        exit 1
    fi
    sleep 0.5
done

status=0
"$venv/bin/python" .ci/mcp_client.py "$base" "$token" || status=$?
if [ "$status" -ne 0 ]; then
    echo "the server's log:" >&2
    tail -n 50 "$log" >&2
fi
exit "$status"
