#!/usr/bin/env bash
# schemathesis (PyPI, pinned in .ci/schemathesis-requirements.txt) against `upgates serve
# --demo`: every generated request to every operation of /v1/openapi.json must answer a
# documented status, content type, headers and body, never a 5xx; every request the document
# calls valid must be accepted (positive_data_acceptance); a secured operation must refuse a
# missing or wrong token (ignored_auth); another method must get 405 (unsupported_method).
# negative_data_rejection is left out on purpose: the webhook takes inputs as bot templates
# write them (`"TRUE"`, `" 30 "`, `"+30"`), which the document's narrower input schemas call
# invalid. Exit code: schemathesis'.
#
#   bash .ci/schemathesis.sh            # from the repository's root; builds `upgates` if needed
#   SCHEMATHESIS_EXAMPLES=50 bash .ci/schemathesis.sh    # more cases per operation
set -euo pipefail
cd "$(dirname "$0")/.."

venv=target/ci-venv
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
# --no-deps: only the pinned list; a dependency it lacks (another Python) fails `pip check`.
"$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps -r .ci/schemathesis-requirements.txt
"$venv/bin/pip" check --disable-pip-version-check >/dev/null

# The root build of .ci/run (default members): nothing to rebuild there.
cargo build --quiet
upgates=target/debug/upgates

port=$("$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
token=$("$venv/bin/python" -c 'import secrets; print(secrets.token_hex(24))')
log=$(mktemp)

UPGATES_BOT_TOKEN="$token" "$upgates" serve --demo --listen "127.0.0.1:$port" >"$log" 2>&1 &
server=$!
stop() {
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    rm -f "$log"
}
trap stop EXIT

for attempt in $(seq 1 120); do
    if "$venv/bin/python" -c "import urllib.request, sys; urllib.request.urlopen(sys.argv[1], timeout=1)" "$base/v1/health" 2>/dev/null; then
        break
    fi
    if [ "$attempt" -eq 120 ]; then
        echo "upgates serve --demo did not answer $base/v1/health:" >&2
        cat "$log" >&2
        exit 1
    fi
    if ! kill -0 "$server" 2>/dev/null; then
        echo "upgates serve --demo exited:" >&2
        cat "$log" >&2
        exit 1
    fi
    sleep 0.5
done

# Examples per operation and a fixed seed (override with the variables): the same cases
# each run, so a failure can be rerun; about 4000 cases, a minute on 2 cores.
status=0
# From target/: schemathesis leaves its cache in the working directory.
mkdir -p target/schemathesis
(cd target/schemathesis && "../ci-venv/bin/schemathesis" run "$base/v1/openapi.json" \
    --url "$base" \
    --header "Authorization: Bearer $token" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance,positive_data_acceptance,ignored_auth,unsupported_method \
    --phases examples,coverage,fuzzing \
    --max-examples "${SCHEMATHESIS_EXAMPLES:-150}" \
    --seed "${SCHEMATHESIS_SEED:-23}" \
    --workers 2 \
    --request-timeout 40 \
    --generation-database none \
    --no-color) || status=$?
if [ "$status" -ne 0 ]; then
    echo "the server's log:" >&2
    tail -n 50 "$log" >&2
fi
exit "$status"
