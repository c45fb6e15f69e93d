#!/usr/bin/env bash
# The official MCP Python SDK (`mcp` on PyPI, pinned in .ci/mcp-requirements.txt with all it
# installs) against `upgates serve --demo`'s /mcp: it lists the tools, calls a read, a write the
# demo's guardrail refuses (UPGATES_ALLOWED_STATUSES), a bad input, and no token (401). Exit
# code: the client's (.ci/mcp_client.py), non-zero on any answer not the expected one.
#
#   bash .ci/mcp_client.sh              # from the repository's root; builds `upgates` if needed
set -euo pipefail
cd "$(dirname "$0")/.."

# Shared with .ci/schemathesis.sh; the versions both install agree.
venv=target/ci-venv
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
# Every package pinned in the file; --no-deps: one it forgot fails loudly instead of being
# resolved to whatever version is newest.
"$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps -r .ci/mcp-requirements.txt

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

healthy=no
for _ in $(seq 1 120); do
    if "$venv/bin/python" -c "import urllib.request, sys; urllib.request.urlopen(sys.argv[1], timeout=1)" "$base/v1/health" 2>/dev/null; then
        healthy=yes
        break
    fi
    if ! kill -0 "$server" 2>/dev/null; then
        echo "upgates serve --demo exited:" >&2
        cat "$log" >&2
        exit 1
    fi
    sleep 0.5
done
if [ "$healthy" != yes ]; then
    echo "upgates serve --demo did not become healthy at $base/v1/health; its log:" >&2
    cat "$log" >&2
    exit 1
fi

status=0
"$venv/bin/python" .ci/mcp_client.py "$base" "$token" || status=$?
if [ "$status" -ne 0 ]; then
    echo "the server's log:" >&2
    tail -n 50 "$log" >&2
fi
exit "$status"
