"""LLM-as-judge grading of predictions (OpenAI-compatible endpoint or local model), robust answer parsing: judge.tsv."""

from __future__ import annotations

import argparse
import functools
import json
import logging
import os
import re
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from radtune.core.common import InputError, RadtuneError, json_arg, run_main
from radtune.core.formats import SCORE_DECIMALS, read_predictions, write_tsv
from radtune.evaluate.generate import select_examples
from radtune.evaluate.metrics import collapse_ws

log = logging.getLogger("radtune.evaluate.judge")

COLUMNS = ["id", "model", "judge_score", "judge_status", "explanation"]
PLACEHOLDERS = ("task", "input_text", "reference", "prediction")
BACKOFF_S = 1.0  # first retry delay; doubles on every retry
PROGRESS_S = 30.0  # seconds between two progress lines in the log


# ---- prompt and parsing -----------------------------------------------------------------------------------------


def read_prompt(path: str | Path) -> str:
    if not Path(path).exists():
        raise InputError(path, "judge prompt file does not exist")
    text = Path(path).read_text(encoding="utf-8")
    missing = [p for p in ("reference", "prediction") if "{{" + p + "}}" not in text]
    if missing:
        raise InputError(path, f"judge prompt lacks the placeholder(s) {', '.join('{{' + m + '}}' for m in missing)}")
    return text


def render_prompt(template: str, row: dict[str, Any]) -> str:
    """Fill {{task}} {{input_text}} {{reference}} {{prediction}} (plain replacement: JSON braces stay as they are)."""
    out = template
    for key in PLACEHOLDERS:
        out = out.replace("{{" + key + "}}", str(row.get(key, "")))
    return out


_SCORE_LINE = re.compile(r"""^\W*score\W*[:=]\s*"?(-?\d+(?:\.\d+)?)"?\s*(?:/\s*10)?\s*$""", re.I | re.M)
_EXPL_LINE = re.compile(r"^\W*explanation\W*[:=]\s*(.+)$", re.I | re.M)


def parse_answer(text: str) -> tuple[float | None, str, str]:
    """(score, status, explanation) from a judge answer.

    Accepted: a JSON object with a numeric "score" (code fences and surrounding text allowed), or
    "Score: N" / "Explanation: ..." lines. Anything else is status "unparsed"; a score outside 0-10
    is "out_of_range". The score is returned only when the status is "ok": never defaulted.
    """
    text = text or ""
    score: Any = None
    expl = ""
    found = False
    decoder = json.JSONDecoder()
    for m in re.finditer(r"\{", text):
        try:
            obj, _ = decoder.raw_decode(text, m.start())
        except json.JSONDecodeError:
            continue
        if isinstance(obj, dict) and "score" in obj:
            score, expl, found = obj["score"], str(obj.get("explanation", "")), True
            break
    if not found:
        m = _SCORE_LINE.search(text)
        if m:
            score, found = m.group(1), True
            e = _EXPL_LINE.search(text)
            expl = e.group(1) if e else ""
    expl = collapse_ws(expl)
    if not found:
        return None, "unparsed", collapse_ws(text)[:500]
    if isinstance(score, bool):
        return None, "unparsed", expl
    try:
        value = float(score)
    except (TypeError, ValueError):
        return None, "unparsed", expl
    if value != value:  # NaN
        return None, "unparsed", expl
    if not 0 <= value <= 10:
        return None, "out_of_range", expl
    return value, "ok", expl


# ---- backends -----------------------------------------------------------------------------------------------------


class OpenAIJudge:
    """Chat completions on any OpenAI-compatible endpoint, over plain HTTP with httpx.

    Retries timeouts, connection errors, 429 and 5xx with exponential backoff; after `retries`
    retries the example is counted as failed (never silently dropped). Environment proxies
    (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, .netrc) are ignored unless eval.judge.use_env_proxy is true:
    de-identified findings and predictions go to the configured endpoint and nowhere else.
    One instance is called from up to eval.judge.concurrency threads at once (judge_rows): the
    httpx.Client is thread-safe and its pool holds that many connections.
    """

    def __init__(self, params: dict[str, Any], backoff_s: float = BACKOFF_S) -> None:
        import httpx

        if not params.get("base_url") or not params.get("model"):
            raise RadtuneError("judge backend 'openai' needs eval.judge.base_url and eval.judge.model")
        self.model = params["model"]
        self.retries = int(params["retries"])
        self.backoff_s = backoff_s
        headers = {"Content-Type": "application/json"}
        key_env = params["api_key_env"]
        if os.environ.get(key_env):
            headers["Authorization"] = f"Bearer {os.environ[key_env]}"
        else:
            log.warning("environment variable %s is not set: calling the endpoint without an API key", key_env)
        self.trust_env = bool(params["use_env_proxy"])
        conns = int(params.get("concurrency", 1))
        self.client = httpx.Client(
            base_url=params["base_url"].rstrip("/") + "/",
            headers=headers,
            timeout=float(params["timeout_s"]),
            trust_env=self.trust_env,
            # one connection per concurrent request, kept alive: no request waits for a free connection
            limits=httpx.Limits(max_connections=conns, max_keepalive_connections=conns),
        )
        self._httpx = httpx

    def check_endpoint(self) -> None:
        """Before any report text is sent: the endpoint answers a real one-token chat completion.

        Sends a fixed probe text (no patient data); unreachable endpoints, wrong paths (404/501),
        rejected keys (401/403) and answers that are not chat completions all fail here, once.
        """
        where = f"judge endpoint {self.client.base_url}chat/completions (model {self.model})"
        body = {
            "model": self.model,
            "messages": [{"role": "user", "content": "Reply with the single word OK."}],
            "temperature": 0,
            "max_tokens": 1,
        }
        try:
            resp = self.client.post("chat/completions", json=body)
        except self._httpx.HTTPError as exc:
            raise RadtuneError(
                f"{where} is unreachable ({type(exc).__name__}); check eval.judge.base_url"
                + ("" if self.trust_env else " (environment proxies are not used: eval.judge.use_env_proxy)")
                + " or set eval.judge.backend: none"
            ) from None
        if resp.status_code >= 400:
            raise RadtuneError(
                f"{where} answered HTTP {resp.status_code} to a one-token test completion; "
                "check eval.judge.base_url (usually ending in /v1), eval.judge.model and the API key"
            )
        try:
            resp.json()["choices"][0]["message"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise RadtuneError(f"{where} did not answer with a chat completion") from None

    def __call__(self, prompt: str) -> str:
        body = {
            "model": self.model,
            "messages": [{"role": "user", "content": prompt}],
            "temperature": 0,
            "max_tokens": 512,
        }
        last = ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff_s * 2 ** (attempt - 1))
            try:
                resp = self.client.post("chat/completions", json=body)
            except (self._httpx.TimeoutException, self._httpx.TransportError) as exc:
                last = type(exc).__name__
                continue
            if resp.status_code == 429 or resp.status_code >= 500:
                last = f"HTTP {resp.status_code}"
                continue
            if resp.status_code >= 400:
                raise JudgeFailure(f"HTTP {resp.status_code}")
            try:
                return resp.json()["choices"][0]["message"]["content"] or ""
            except (ValueError, KeyError, IndexError, TypeError):
                raise JudgeFailure("response is not a chat completion") from None
        raise JudgeFailure(f"gave up after {self.retries + 1} attempts ({last})")


class LocalJudge:
    """A local transformers chat model (greedy decoding), for sites with a GPU and a local judge model."""

    def __init__(self, params: dict[str, Any]) -> None:
        from radtune.evaluate.generate import generate_hf, load_model

        path = params.get("path")
        if not path or not Path(path).is_dir():
            raise RadtuneError(f"judge backend 'local' needs eval.judge.path to be a model folder (got {path!r})")
        self.model, self.tok = load_model(path, None)
        self._gen = generate_hf

    def __call__(self, prompt: str) -> str:
        text = self.tok.apply_chat_template(
            [{"role": "user", "content": prompt}], tokenize=False, add_generation_prompt=True
        )
        return self._gen(self.model, self.tok, [text], max_new_tokens=256, batch_size=1)[0]


class JudgeFailure(Exception):
    """The judge gave no usable answer for one example (counted as status failed)."""


def judge_one(row: dict[str, Any], template: str, ask: Callable[[str], str]) -> dict[str, Any]:
    """One output row; a JudgeFailure (retries spent, 4xx, not a completion) is counted as status failed."""
    try:
        answer = ask(render_prompt(template, row))
    except JudgeFailure as exc:
        return {"id": row["id"], "model": row["model"], "judge_score": None, "judge_status": "failed",
                "explanation": f"judge call failed: {exc}"}  # fmt: skip
    score, status, expl = parse_answer(answer)
    return {"id": row["id"], "model": row["model"], "judge_score": score, "judge_status": status, "explanation": expl}


def judge_rows(
    rows: list[dict[str, Any]], template: str, ask: Callable[[str], str], concurrency: int = 1
) -> list[dict[str, Any]]:
    """Judge every row, up to `concurrency` calls in flight; the output rows are in the order of `rows`.

    Why threads: each call is blocking HTTP I/O (the GIL is released while waiting), the per-example
    call with its retries and backoff stays exactly as it is, and the stdlib ThreadPoolExecutor
    bounds the calls in flight. Executor.map yields results in input order and cancels the calls not
    yet started if one raises. httpx.AsyncClient with a semaphore would do the same with a second,
    async copy of the retry loop. concurrency 1 calls `ask` in this thread (the local backend: one
    model, not shared between threads).
    """
    one = functools.partial(judge_one, template=template, ask=ask)
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="judge") if concurrency > 1 else None
    out: list[dict[str, Any]] = []
    t0 = last = time.perf_counter()
    try:
        for res in pool.map(one, rows) if pool else map(one, rows):
            out.append(res)
            now = time.perf_counter()
            if now - last >= PROGRESS_S or len(out) == len(rows):
                last = now  # counts and rates only: never report text
                rate = len(out) / max(now - t0, 1e-9)
                log.info("judge: %d/%d rows, %.2f rows/s (concurrency %d)", len(out), len(rows), rate, concurrency)
    finally:
        if pool:
            pool.shutdown(wait=True, cancel_futures=True)
    return out


def check(params: dict[str, Any]) -> None:
    """Start-of-run check of the configured judge (`python -m radtune.evaluate.judge --check --params ...`)."""
    if params["backend"] == "openai":
        OpenAIJudge(params).check_endpoint()
        log.info("judge endpoint answered a one-token test completion")
    elif params["backend"] == "local":
        path = params.get("path")
        if not path or not Path(path).is_dir():
            raise RadtuneError(f"judge backend 'local' needs eval.judge.path to be a model folder (got {path!r})")


def main(argv: list[str] | None = None, backoff_s: float = BACKOFF_S) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--check", action="store_true", help="only check the configured judge (start of a run), then exit")
    ap.add_argument("--params", required=True, help="config['eval']['judge'] as JSON")
    ap.add_argument("--predictions")
    ap.add_argument("--prompt")
    ap.add_argument("--output")
    args = ap.parse_args(argv)
    params = json_arg(args.params, "--params")
    if args.check:
        check(params)
        return
    missing = [f"--{k}" for k in ("predictions", "prompt", "output") if getattr(args, k) is None]
    if missing:
        ap.error(f"the following arguments are required: {', '.join(missing)}")
    template = read_prompt(args.prompt)
    rows = select_examples(read_predictions(args.predictions), params.get("max_examples"))
    backend = params["backend"]
    if backend == "openai":
        ask: Callable[[str], str] = OpenAIJudge(params, backoff_s=backoff_s)
        ask.check_endpoint()  # type: ignore[attr-defined]
        log.info("judge: OpenAI-compatible endpoint via httpx, model %s", params.get("model"))
    elif backend == "local":
        ask = LocalJudge(params)
        log.info("judge: local model")
    else:
        raise RadtuneError("eval.judge.backend is 'none': the judge rule should not run")
    # the local model judges one example at a time; the endpoint gets up to eval.judge.concurrency at once
    concurrency = int(params.get("concurrency", 1)) if backend == "openai" else 1
    t0 = time.perf_counter()
    out = judge_rows(rows, template, ask, concurrency)
    statuses = Counter(r["judge_status"] for r in out)
    if out and statuses["failed"] == len(out):
        raise RadtuneError(
            f"judge: every one of {len(out)} calls failed ({out[0]['explanation']}); no {args.output} written"
        )
    write_tsv(args.output, out, COLUMNS, decimals=SCORE_DECIMALS)
    log.info("judged %d predictions in %.1f s; statuses %s", len(out), time.perf_counter() - t0, dict(statuses))
    if statuses["failed"]:
        log.warning("judge: %d of %d calls failed (counted in eval.tsv, not scored)", statuses["failed"], len(out))


if __name__ == "__main__":
    run_main(main)
