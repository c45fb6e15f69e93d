#!/usr/bin/env bash
# The official MCP Python SDK (`mcp` on PyPI, pinned in .ci/mcp-requirements.txt with all it
# installs) against `upgates serve --demo`'s /mcp: it lists the tools, calls a read, a write the
# demo's guardrail refuses (UPGATES_ALLOWED_STATUSES), a bad input, and no token (401). Exit
# code: the client's (.ci/mcp_client.py), non-zero on any answer not the expected one.
#
#   bash .ci/mcp_client.sh              # from the repository's root; builds `upgates` if needed
set -euo pipefail
cd "$(dirname "$0")/.."

. .ci/demo-server.sh
install_pinned .ci/mcp-requirements.txt
# The one guardrail the client's refused write meets: the bot may only mark orders sent.
start_demo_server UPGATES_ALLOWED_STATUSES="Odeslaná"

status=0
"$venv/bin/python" .ci/mcp_client.py "$base" "$token" || status=$?
if [ "$status" -ne 0 ]; then
    server_log
fi
exit "$status"
