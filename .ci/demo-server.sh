# Sourced by .ci/schemathesis.sh and .ci/mcp_client.sh: the pinned Python venv they share and
# an `upgates serve --demo` on a free loopback port for the tool under test.

# target/ci-venv with every package of requirements file $1, pinned; --no-deps: one the file
# forgot fails `pip check` instead of being resolved to whatever is newest. The scripts'
# files pin the packages they share to the same versions.
venv=target/ci-venv
install_pinned() {
    if [ ! -x "$venv/bin/python" ]; then
        python3 -m venv "$venv"
    fi
    "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$1"
    "$venv/bin/pip" check --disable-pip-version-check >/dev/null
}

# Starts `upgates serve --demo` (the root build of .ci/run, default members: nothing to
# rebuild there) with a fresh bot token and the extra environment in "$@" (NAME=value), waits
# until /v1/health answers, and sets `base` and `token`. Stopped when the script exits;
# `server_log` prints its log (on a failure).
start_demo_server() {
    cargo build --quiet
    local port
    port=$("$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    base="http://127.0.0.1:$port"
    token=$("$venv/bin/python" -c 'import secrets; print(secrets.token_hex(24))')
    demo_log=$(mktemp)
    env UPGATES_BOT_TOKEN="$token" "$@" target/debug/upgates serve --demo --listen "127.0.0.1:$port" \
        >"$demo_log" 2>&1 &
    demo_server=$!
    trap stop_demo_server EXIT
    local attempt
    for attempt in $(seq 1 120); do
        if "$venv/bin/python" -c "import urllib.request, sys; urllib.request.urlopen(sys.argv[1], timeout=1)" "$base/v1/health" 2>/dev/null; then
            return 0
        fi
        if ! kill -0 "$demo_server" 2>/dev/null; then
            echo "upgates serve --demo exited; its log:" >&2
            cat "$demo_log" >&2
            exit 1
        fi
        sleep 0.5
    done
    echo "upgates serve --demo did not answer $base/v1/health within a minute; its log:" >&2
    cat "$demo_log" >&2
    exit 1
}

stop_demo_server() {
    kill "$demo_server" 2>/dev/null || true
    wait "$demo_server" 2>/dev/null || true
    rm -f "$demo_log"
}

server_log() {
    echo "the server's log (last 50 lines):" >&2
    tail -n 50 "$demo_log" >&2
}
