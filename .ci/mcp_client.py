"""Drives `upgates serve --demo`'s MCP endpoint with the official MCP Python SDK.

Usage: mcp_client.py BASE_URL TOKEN (the token the server was started with). Lists the tools,
calls a read, a write the demo's guardrails refuse, a bad input and no token; exits non-zero
on the first answer that is not the one expected.
"""

import asyncio
import sys

from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

# The demo shop's order 2025000123 as verify-order answers it.
ORDER_123 = {
    "status": "Přijatá",
    "billing": "Převodem na účet",
    "shipping": "PPL",
    "paid": False,
    "topay": 1230.5,
    "topaytext": "1\u00a0230,50\u00a0Kč",
    "currency": "CZK",
    "tracking": None,
    "trackingurl": None,
}

ACTIONS = [
    "verify-order",
    "order-detail",
    "customer-email",
    "set-order-status",
    "verify-customer",
    "orders-by-phone",
    "append-note",
    "replace-note",
    "order-documents",
]


def expect(what, got, want):
    if got != want:
        raise SystemExit(f"mcp client: {what}: got {got!r}, want {want!r}")
    print(f"ok: {what}")


async def session_of(url, token, run, statuses):
    """Runs `run` on a session with `token` (none: no Authorization header); the HTTP
    statuses and WWW-Authenticate headers of the answers go to `statuses`."""

    async def record(response):
        statuses.append((response.status_code, response.headers.get("www-authenticate")))

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with create_mcp_http_client(headers=headers) as http:
        http.event_hooks = {"response": [record]}
        async with streamable_http_client(url, http_client=http) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                return await run(session)


async def with_token(session):
    tools = (await session.list_tools()).tools
    expect("tool names", [tool.name for tool in tools], ACTIONS)
    by_name = {tool.name: tool for tool in tools}
    expect("verify-order is read-only", by_name["verify-order"].annotations.read_only_hint, True)
    expect(
        "set-order-status is destructive",
        by_name["set-order-status"].annotations.destructive_hint,
        True,
    )
    expect(
        "verify-order's input schema",
        by_name["verify-order"].input_schema["required"],
        ["order"],
    )

    read = await session.call_tool("verify-order", {"order": "2025000123"})
    expect("a read's isError", read.is_error, False)
    expect("a read's structured content", read.structured_content, ORDER_123)

    # The demo lets the bot set only `Odeslaná` (UPGATES_ALLOWED_STATUSES, set by mcp_client.sh).
    write = await session.call_tool(
        "set-order-status", {"order": "2025000123", "status": "Stornovaná"}
    )
    expect("a refused write's isError", write.is_error, True)
    expect("a refused write's reason", write.structured_content["reason"], "not-allowed")

    bad = await session.call_tool("verify-order", {"order": True})
    expect("a bad input's isError", bad.is_error, True)
    expect(
        "a bad input's answer",
        bad.structured_content,
        {
            "ok": False,
            "reason": "bad-request",
            "message": "`order` must be text (or a whole number)",
        },
    )


async def main(base, token):
    url = f"{base}/mcp"
    await session_of(url, token, with_token, [])
    statuses = []
    try:
        await session_of(url, None, lambda session: session.list_tools(), statuses)
    except Exception:  # the SDK's error, raised out of its task groups
        expect("no token: the answer", statuses, [(401, "Bearer")])
    else:
        raise SystemExit("mcp client: no token: the server answered")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
