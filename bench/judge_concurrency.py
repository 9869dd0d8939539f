"""Bench: LLM-judge examples/s of radtune.evaluate.judge against a local fake OpenAI-compatible endpoint, concurrent
requests.

Run: python bench/judge_concurrency.py [--n 400] [--delay-ms 50] [--concurrency 16]
The fake endpoint answers every graded request after a fixed delay (a stand-in for a vLLM server's latency) and
counts the requests it served at once. Baseline for the ratio: the same judge at concurrency 1 (one request at a
time, as before eval.judge.concurrency); the outputs of both runs are checked identical.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from radtune.evaluate import judge  # noqa: E402

PROMPT = "Findings: {{input_text}}\nReference: {{reference}}\nCandidate: {{prediction}}\nAnswer as JSON."


class FakeEndpoint(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as vLLM serves: the judge reuses its pooled connections
    disable_nagle_algorithm = True  # no delayed-ACK stall between headers and body on a kept-alive connection
    delay_s = 0.05
    inflight = max_inflight = 0
    lock = threading.Lock()

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        prompt = body["messages"][0]["content"]
        with FakeEndpoint.lock:
            FakeEndpoint.inflight += 1
            FakeEndpoint.max_inflight = max(FakeEndpoint.max_inflight, FakeEndpoint.inflight)
        try:
            time.sleep(FakeEndpoint.delay_s)
        finally:
            with FakeEndpoint.lock:
                FakeEndpoint.inflight -= 1
        score = sum(map(ord, prompt)) % 11  # deterministic per prompt: the rows can be compared between runs
        content = json.dumps({"score": score, "explanation": f"graded {len(prompt)} chars"})
        data = json.dumps({"choices": [{"message": {"role": "assistant", "content": content}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def run(url: str, rows: list[dict], concurrency: int) -> tuple[float, list[dict], int]:
    params = {"base_url": url, "model": "fake", "api_key_env": "RADTUNE_BENCH_NO_KEY", "retries": 3,
              "timeout_s": 30, "use_env_proxy": False, "concurrency": concurrency}  # fmt: skip
    ask = judge.OpenAIJudge(params)
    ask.check_endpoint()
    FakeEndpoint.max_inflight = 0
    t0 = time.perf_counter()
    out = judge.judge_rows(rows, PROMPT, ask, concurrency)
    return time.perf_counter() - t0, out, FakeEndpoint.max_inflight


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=400, help="examples")
    ap.add_argument("--delay-ms", type=float, default=50.0, help="the fake endpoint's latency per request")
    ap.add_argument("--concurrency", type=int, default=16)
    args = ap.parse_args()
    logging.basicConfig(level=logging.ERROR)
    FakeEndpoint.delay_s = args.delay_ms / 1000
    srv = ThreadingHTTPServer(("127.0.0.1", 0), FakeEndpoint)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{srv.server_address[1]}/v1"
    rows = [
        {"id": f"e{i:05d}", "model": "m", "input_text": f"finding {i}", "reference": f"ref {i}",
         "prediction": f"pred {i * 7 % 13}"}
        for i in range(args.n)
    ]  # fmt: skip
    try:
        t1, out1, peak1 = run(url, rows, 1)
        tc, outc, peakc = run(url, rows, args.concurrency)
    finally:
        srv.shutdown()
        srv.server_close()
    same = out1 == outc
    ideal = 1000 / args.delay_ms
    print(f"endpoint latency {args.delay_ms:.0f} ms/request; {args.n} examples (ideal 1 at a time: {ideal:.1f} ex/s)")
    print(f"concurrency 1 (baseline): {t1:.2f} s, {args.n / t1:.1f} examples/s, max in flight {peak1}")
    print(f"concurrency {args.concurrency}: {tc:.2f} s, {args.n / tc:.1f} examples/s, max in flight {peakc}")
    print(f"same rows in the same order: {same}")
    print(
        f"SUMMARY judge_concurrency: {args.n} examples at {args.delay_ms:.0f} ms: concurrency {args.concurrency} "
        f"{args.n / tc:.1f} ex/s vs concurrency 1 {args.n / t1:.1f} ex/s ({t1 / tc:.1f}x), outputs identical: {same}"
    )
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
