#!/usr/bin/env python3
"""An independent client for the interop specs: Python's `websockets` (Debian's python3-websockets).

    python3 python-client.py URL SCENARIO [--compression deflate|none] [--ca CA_FILE]

Runs one scenario against the server at URL and prints one JSON line with what it saw. Exits 0 when the
scenario ran to its end (the spec judges the JSON), 1 on an unexpected exception (printed as JSON too).
Scenarios: echo, subprotocol, ping, client-close, server-close.
A wss:// URL is opened with TLS, verifying the server's certificate (and its name or IP address) against
CA_FILE; the report then says which TLS version was agreed.
"""
import asyncio
import json
import ssl
import sys

import websockets


def sizes_and_payloads():
    """The exchange of the browser spec: empty, length-field boundaries, 1 MiB, non-ASCII text."""
    out = []
    out.append(("text", ""))
    out.append(("binary", b""))
    for n in (125, 126, 65535, 65536, 1024 * 1024):
        out.append(("binary", bytes((i * 31 + (i >> 8)) & 0xFF for i in range(n))))
        out.append(("text", "".join(chr(33 + (i * 7) % 94) for i in range(n))))
    out.append(("text", "héllo wörld — κόσμε — 日本語 — 😀"))
    return out


async def echo(ws):
    results = []
    for kind, payload in sizes_and_payloads():
        await ws.send(payload)
        reply = await ws.recv()
        same_type = isinstance(reply, str) == (kind == "text")
        size = len(payload.encode("utf-8")) if isinstance(payload, str) else len(payload)
        results.append({"kind": kind, "size": size, "ok": same_type and reply == payload})
    await ws.close(code=1000, reason="echo done")
    return {"results": results}


async def subprotocol(ws):
    await ws.send("which protocol?")
    reply = await ws.recv()
    await ws.close()
    return {"reply": reply}


async def ping(ws):
    pong = await ws.ping(b"interop-ping")
    # The waiter resolves only for a pong with the same payload (websockets matches them).
    await asyncio.wait_for(pong, timeout=5)
    await ws.close()
    return {"pong": True}


async def client_close(ws):
    await ws.send("about to close")
    await ws.recv()
    await ws.close(code=1000, reason="python done")
    return {"close_code": ws.close_code, "close_reason": ws.close_reason}


async def server_close(ws):
    await ws.send("close me")
    try:
        message = await asyncio.wait_for(ws.recv(), timeout=5)
        return {"unexpected_message": message}
    except websockets.exceptions.ConnectionClosed as closed:
        rcvd, sent = closed.rcvd, closed.sent
        return {
            "code": rcvd.code if rcvd is not None else None,
            "reason": rcvd.reason if rcvd is not None else None,
            # The close frame the client sent back: proof that the closing handshake completed.
            "sent_code": sent.code if sent is not None else None,
        }


SCENARIOS = {
    "echo": echo,
    "subprotocol": subprotocol,
    "ping": ping,
    "client-close": client_close,
    "server-close": server_close,
}


async def main(argv):
    url, scenario = argv[1], argv[2]
    compression = "deflate"
    if "--compression" in argv:
        compression = argv[argv.index("--compression") + 1]
    options = {
        "compression": None if compression == "none" else "deflate",
        "max_size": 8 * 1024 * 1024,
        "open_timeout": 5,
        "close_timeout": 5,
    }
    if scenario == "subprotocol":
        options["subprotocols"] = ["superchat", "chat"]
    if url.startswith("wss://"):
        if "--ca" not in argv:
            raise ValueError("a wss:// URL needs --ca CA_FILE (the certificate is always verified)")
        options["ssl"] = ssl.create_default_context(cafile=argv[argv.index("--ca") + 1])
    async with websockets.connect(url, **options) as ws:
        ssl_object = ws.transport.get_extra_info("ssl_object")
        report = await SCENARIOS[scenario](ws)
        report["extensions"] = ws.response_headers.get("Sec-WebSocket-Extensions")
        report["subprotocol"] = ws.subprotocol
        report["tls_version"] = ssl_object.version() if ssl_object is not None else None
        report["websockets"] = websockets.__version__
    return report


if __name__ == "__main__":
    try:
        print(json.dumps(asyncio.run(main(sys.argv))))
    except Exception as error:  # the spec shows this as the failure reason
        print(json.dumps({"error": f"{type(error).__name__}: {error}"}))
        sys.exit(1)
