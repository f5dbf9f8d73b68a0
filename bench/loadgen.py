"""A small HTTP/1.1 load generator: asyncio, keep-alive connections, pre-built requests.

Run as its own process (so it never shares the server's interpreter):

    python -m bench.loadgen --port 8000 --requests reqs.jsonl --concurrency 32 [--warmup 500]

Each line of the requests file is `{"path": "/wechat?...", "body": "<xml>…"}`; every
request is sent once, in order, spread over `--concurrency` connections that all start
together. Prints one JSON object: count, seconds, rps, latency percentiles (ms), the
status codes seen and the replies' bodies when `--bodies` is given.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time


def _request_bytes(host: str, port: int, path: str, body: bytes) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: text/xml\r\n"
        f"Content-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n"
    )
    return head.encode("ascii") + body


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = 0
    chunked = False
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value.strip())
        elif name == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
    if not chunked:
        return status, await reader.readexactly(length)
    body = b""
    while True:
        size = int((await reader.readuntil(b"\r\n")).strip(), 16)
        chunk = await reader.readexactly(size + 2)
        if size == 0:
            return status, body
        body += chunk[:-2]


async def _run(host: str, port: int, payloads: list[bytes], concurrency: int, keep_bodies: bool) -> dict:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    bodies: list[str] = []
    errors = 0
    next_index = 0
    start_gate = asyncio.Event()

    async def worker() -> None:
        nonlocal next_index, errors
        reader, writer = await asyncio.open_connection(host, port)
        await start_gate.wait()
        while next_index < len(payloads):
            payload = payloads[next_index]
            next_index += 1
            for attempt in range(2):
                sent = time.perf_counter()
                try:
                    writer.write(payload)
                    await writer.drain()
                    status, body = await _read_response(reader)
                    break
                except (ConnectionError, asyncio.IncompleteReadError):
                    # The server closed a kept-alive connection: reconnect once.
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, port)
                    if attempt:
                        errors += 1
                        status, body = 0, b""
            latencies.append(time.perf_counter() - sent)
            statuses[status] = statuses.get(status, 0) + 1
            if keep_bodies:
                bodies.append(body.decode("utf-8", "replace"))
        writer.close()

    tasks = [asyncio.create_task(worker()) for _ in range(min(concurrency, len(payloads)))]
    await asyncio.sleep(0.2)  # let every connection open before the clock starts
    began = time.perf_counter()
    start_gate.set()
    await asyncio.gather(*tasks)
    seconds = time.perf_counter() - began
    latencies.sort()

    def pct(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000, 2) if latencies else 0.0

    result = {
        "count": len(latencies),
        "seconds": round(seconds, 3),
        "rps": round(len(latencies) / seconds, 1) if seconds else 0.0,
        "p50_ms": pct(50),
        "p90_ms": pct(90),
        "p99_ms": pct(99),
        "max_ms": round(latencies[-1] * 1000, 2) if latencies else 0.0,
        "statuses": statuses,
        "errors": errors,
    }
    if keep_bodies:
        result["bodies"] = bodies
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--requests", required=True, help="JSON lines of {path, body}")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--warmup", type=int, default=0, help="send this many first, untimed")
    parser.add_argument("--bodies", action="store_true", help="include the reply bodies in the output")
    args = parser.parse_args()

    with open(args.requests, encoding="utf-8") as f:
        items = [json.loads(line) for line in f if line.strip()]
    payloads = [_request_bytes(args.host, args.port, i["path"], i["body"].encode("utf-8")) for i in items]
    warm, timed = payloads[: args.warmup], payloads[args.warmup :]
    if warm:
        asyncio.run(_run(args.host, args.port, warm, args.concurrency, False))
    result = asyncio.run(_run(args.host, args.port, timed, args.concurrency, args.bodies))
    json.dump(result, sys.stdout, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
