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

. .ci/demo-server.sh
install_pinned .ci/schemathesis-requirements.txt
start_demo_server

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
    server_log
fi
exit "$status"
