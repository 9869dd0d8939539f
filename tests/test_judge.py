"""Tests for radtune.evaluate.judge: answer parsing, and the OpenAI path against a local HTTP server (retries,
failures)."""

from __future__ import annotations

import csv
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from _config import schema_defaults

from radtune.core.common import RadtuneError
from radtune.evaluate import judge

JUDGE = schema_defaults("eval.judge")  # eval.judge as the workflow passes it: every default filled in
PROMPT = 'Task {{task}}\nIN {{input_text}}\nREF {{reference}}\nCAND {{prediction}}\nAnswer as {"score": N}'


@pytest.mark.parametrize(
    ("text", "score", "status"),
    [
        ('{"score": 7, "explanation": "Missed the effusion."}', 7.0, "ok"),
        ('```json\n{"score": 8.5, "explanation": "fine {really}"}\n```', 8.5, "ok"),
        ('Sure! Here it is: {"explanation": "ok", "score": "9"} Thanks', 9.0, "ok"),
        ("Score: 6/10\nExplanation: wording imprecise", 6.0, "ok"),
        ('{"score": 0, "explanation": "unrelated"}', 0.0, "ok"),
        ('{"score": 11, "explanation": "great"}', None, "out_of_range"),
        ('{"score": -1, "explanation": "bad"}', None, "out_of_range"),
        ("I think it is pretty good overall.", None, "unparsed"),
        ('{"score": "high", "explanation": "x"}', None, "unparsed"),
        ('{"score": true}', None, "unparsed"),
        ('{"score": 7, "explanation": "unterminated', None, "unparsed"),
        ("", None, "unparsed"),
    ],
)
def test_parse_answer(text, score, status):
    got_score, got_status, _ = judge.parse_answer(text)
    assert (got_score, got_status) == (score, status)


def test_parse_answer_keeps_explanation_on_one_line():
    _, status, expl = judge.parse_answer('{"score": 5, "explanation": "line one\\n\\tline two"}')
    assert status == "ok" and expl == "line one line two"


def test_render_prompt_leaves_json_braces():
    out = judge.render_prompt(PROMPT, {"task": "impression", "input_text": "F", "reference": "R", "prediction": "P"})
    assert out == 'Task impression\nIN F\nREF R\nCAND P\nAnswer as {"score": N}'


class _Handler(BaseHTTPRequestHandler):
    """Fake OpenAI-compatible server: the answer depends on the candidate text in the prompt.

    A candidate "kind#k" answers as "kind" (distinct texts, counted apart); every graded request
    takes `delay` seconds, and `max_inflight` is the most graded requests it served at once.
    """

    calls: dict[str, int] = {}
    delay = 0.0
    inflight = max_inflight = 0
    lock = threading.Lock()

    def log_message(self, *args):  # keep test output quiet
        pass

    def do_GET(self):
        self.send_response(404)
        self.end_headers()

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        prompt = body["messages"][0]["content"]
        if self.path != "/v1/chat/completions":  # a wrong base_url path: what vLLM/llama.cpp servers answer
            self.send_response(501)
            self.end_headers()
            return
        if "CAND " not in prompt:  # the one-token start-up check
            _Handler.probes = getattr(_Handler, "probes", 0) + 1
            assert body["max_tokens"] == 1 and "CAND" not in prompt
            self._answer("OK")
            return
        cand = prompt.split("CAND ")[1].split("\n")[0]
        with _Handler.lock:
            n = _Handler.calls[cand] = _Handler.calls.get(cand, 0) + 1
            _Handler.inflight += 1
            _Handler.max_inflight = max(_Handler.max_inflight, _Handler.inflight)
        try:
            time.sleep(_Handler.delay)
        finally:
            with _Handler.lock:
                _Handler.inflight -= 1
        _Handler.auth = self.headers.get("Authorization")
        cand = cand.split("#")[0]
        if cand == "flaky" and n == 1 or cand == "down":
            self.send_response(503)
            self.end_headers()
            return
        content = {
            "good": '{"score": 8, "explanation": "minor wording"}',
            "flaky": '{"score": 6, "explanation": "after retry"}',
            "malformed": "the candidate looks fine to me",
            "huge": '{"score": 42, "explanation": "too enthusiastic"}',
        }[cand]
        self._answer(content)

    def _answer(self, content):
        data = json.dumps({"choices": [{"message": {"role": "assistant", "content": content}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def server():
    _Handler.calls = {}
    _Handler.delay = 0.0
    _Handler.inflight = _Handler.max_inflight = 0
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    th = threading.Thread(target=srv.serve_forever, daemon=True)
    th.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}/v1"
    srv.shutdown()
    srv.server_close()


def _predictions(path, cands):
    rows = [
        {"id": f"e{i}", "model": "m", "task": "impression", "group": "g", "reference": "R", "prediction": c,
         "input_text": "F"}
        for i, c in enumerate(cands)
    ]  # fmt: skip
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


def test_openai_backend_end_to_end(tmp_path, server, monkeypatch):
    monkeypatch.setenv("TEST_JUDGE_KEY", "sekret")
    preds = _predictions(tmp_path / "p.jsonl", ["good", "malformed", "huge", "flaky", "down"])
    prompt = tmp_path / "prompt.md"
    prompt.write_text(PROMPT)
    out = tmp_path / "judge.tsv"
    params = {**JUDGE, "backend": "openai", "base_url": server, "model": "judge-1", "api_key_env": "TEST_JUDGE_KEY",
              "retries": 2, "timeout_s": 5}  # fmt: skip
    argv = ["--predictions", preds, "--prompt", str(prompt), "--params", json.dumps(params), "--output", str(out)]
    judge.main(argv, backoff_s=0.01)
    with open(out, newline="") as fh:
        rows = {r["id"]: r for r in csv.DictReader(fh, delimiter="\t")}
    assert list(rows["e0"].keys()) == judge.COLUMNS
    got = {k: (r["judge_status"], r["judge_score"]) for k, r in rows.items()}
    assert got == {
        "e0": ("ok", "8.000000"),
        "e1": ("unparsed", ""),
        "e2": ("out_of_range", ""),
        "e3": ("ok", "6.000000"),  # 503 then OK: retried
        "e4": ("failed", ""),  # 503 forever: counted as failed, not dropped
    }
    assert _Handler.calls["flaky"] == 2 and _Handler.calls["down"] == 3  # 1 try + 2 retries
    assert _Handler.auth == "Bearer sekret"
    assert rows["e0"]["explanation"] == "minor wording"


def test_unreachable_endpoint_fails_before_the_loop(tmp_path):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    preds = _predictions(tmp_path / "p.jsonl", ["good"])
    prompt = tmp_path / "prompt.md"
    prompt.write_text(PROMPT)
    out = tmp_path / "judge.tsv"
    params = {**JUDGE, "backend": "openai", "base_url": f"http://127.0.0.1:{port}/v1", "model": "j", "timeout_s": 2}
    with pytest.raises(RadtuneError, match="unreachable"):
        judge.main(
            ["--predictions", preds, "--prompt", str(prompt), "--params", json.dumps(params), "--output", str(out)]
        )
    assert not out.exists()


def test_prompt_without_placeholders_is_rejected(tmp_path):
    p = tmp_path / "prompt.md"
    p.write_text("grade it")
    with pytest.raises(RadtuneError, match="placeholder"):
        judge.read_prompt(p)


def test_shipped_prompt_has_all_placeholders_and_criteria():
    from pathlib import Path

    text = judge.read_prompt(Path(__file__).resolve().parents[1] / "config" / "judge_prompt.md")
    for key in judge.PLACEHOLDERS:
        assert "{{" + key + "}}" in text
    for crit in ("Findings missed", "Conclusions not supported", "terminology", "Stylistic concordance"):
        assert crit in text


def test_local_backend_runs_a_local_model_and_never_invents_scores(tmp_path):
    import torch
    from _helpers import word_tokenizer
    from transformers import LlamaConfig, LlamaForCausalLM

    tok = word_tokenizer()
    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=len(tok), hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                      num_attention_heads=2, num_key_value_heads=1, eos_token_id=tok.eos_token_id,
                      pad_token_id=tok.pad_token_id, bos_token_id=None)  # fmt: skip
    LlamaForCausalLM(cfg).save_pretrained(tmp_path / "judge_model")
    tok.save_pretrained(tmp_path / "judge_model")
    preds = _predictions(tmp_path / "p.jsonl", ["good", "bad", "ugly"])
    prompt = tmp_path / "prompt.md"
    prompt.write_text(PROMPT)
    out = tmp_path / "judge.tsv"
    params = {**JUDGE, "backend": "local", "path": str(tmp_path / "judge_model"), "max_examples": 2}
    judge.main(["--predictions", preds, "--prompt", str(prompt), "--params", json.dumps(params), "--output", str(out)])
    with open(out, newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    assert [r["id"] for r in rows] == ["e0", "e1"]  # max_examples: first two by id
    # a random tiny model cannot answer in the format: unparsed, and no score is made up
    assert {r["judge_status"] for r in rows} == {"unparsed"} and {r["judge_score"] for r in rows} == {""}


def _judge_argv(tmp_path, params, cands):
    preds = _predictions(tmp_path / "p.jsonl", cands)
    prompt = tmp_path / "prompt.md"
    prompt.write_text(PROMPT)
    out = tmp_path / "judge.tsv"
    return out, ["--predictions", preds, "--prompt", str(prompt), "--params", json.dumps(params), "--output", str(out)]


def test_environment_proxy_is_not_used_unless_configured(tmp_path, server, monkeypatch):
    """A proxy in the environment must not see report text: requests go to base_url directly."""
    import socket

    with socket.socket() as s:  # a "proxy" port nobody listens on: using it would fail every call
        s.bind(("127.0.0.1", 0))
        proxy = f"http://127.0.0.1:{s.getsockname()[1]}"
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
        monkeypatch.setenv(var, proxy)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    params = {**JUDGE, "backend": "openai", "base_url": server, "model": "j", "retries": 0, "timeout_s": 5}
    out, argv = _judge_argv(tmp_path, params, ["good"])
    judge.main(argv, backoff_s=0.01)
    assert "\tok\t" in out.read_text()
    # control: with use_env_proxy the same run goes to the (dead) proxy and fails at the start-up check
    out.unlink()
    out, argv = _judge_argv(tmp_path, {**params, "use_env_proxy": True}, ["good"])
    with pytest.raises(RadtuneError, match="unreachable"):
        judge.main(argv, backoff_s=0.01)
    assert not out.exists()


def test_wrong_endpoint_path_fails_at_the_check_before_any_report_is_sent(tmp_path, server):
    _Handler.calls = {}
    params = {**JUDGE, "backend": "openai", "base_url": server.removesuffix("/v1"), "model": "j", "timeout_s": 5}
    out, argv = _judge_argv(tmp_path, params, ["good"])
    with pytest.raises(RadtuneError, match="HTTP 501"):
        judge.main(argv, backoff_s=0.01)
    assert not out.exists() and _Handler.calls == {}  # no prediction was sent
    with pytest.raises(RadtuneError, match="HTTP 501"):  # the same check, alone (Snakemake's onstart)
        judge.main(["--check", "--params", json.dumps(params)])
    judge.main(["--check", "--params", json.dumps({**params, "base_url": server})])  # the right URL passes


@pytest.mark.parametrize("concurrency", [1, 4])
def test_every_call_failing_fails_the_job(tmp_path, server, concurrency):
    params = {**JUDGE, "backend": "openai", "base_url": server, "model": "j", "retries": 1, "timeout_s": 5,
              "concurrency": concurrency}  # fmt: skip
    out, argv = _judge_argv(tmp_path, params, ["down", "down"])
    with pytest.raises(RadtuneError, match="every one of 2 calls failed"):
        judge.main(argv, backoff_s=0.01)
    assert not out.exists()


def test_concurrency_gives_the_same_rows_and_overlaps_requests(tmp_path, server, caplog):
    """Up to `concurrency` requests in flight (counted by the server, not timed), same judge.tsv as one at a time."""
    _Handler.delay = 0.05
    cands = [f"{kind}#{i}" for i in range(8) for kind in ("good", "malformed", "huge")]
    params = {**JUDGE, "backend": "openai", "base_url": server, "model": "j", "retries": 0, "timeout_s": 5}
    got = {}
    for concurrency in (1, 6):
        _Handler.max_inflight = 0
        (tmp_path / str(concurrency)).mkdir()
        out, argv = _judge_argv(tmp_path / str(concurrency), {**params, "concurrency": concurrency}, cands)
        with caplog.at_level("INFO", logger="radtune.evaluate.judge"):
            judge.main(argv, backoff_s=0.01)
        got[concurrency] = (out.read_text(), _Handler.max_inflight)
    assert got[1][0] == got[6][0]  # same rows, same order
    lines = got[1][0].splitlines()
    assert [ln.split("\t")[0] for ln in lines[1:]] == sorted(f"e{i}" for i in range(24))  # as without concurrency
    assert got[1][1] == 1  # one at a time
    assert 2 <= got[6][1] <= 6  # requests overlapped, never more than configured
    assert "rows/s" in caplog.text and "24/24 rows" in caplog.text
    assert "#" not in caplog.text and "CAND" not in caplog.text  # no report or prediction text in the log


def test_retries_and_failures_are_counted_under_concurrency(tmp_path, server):
    cands = [f"{kind}#{i}" for i in range(4) for kind in ("flaky", "down", "good")]
    params = {**JUDGE, "backend": "openai", "base_url": server, "model": "j", "retries": 2, "timeout_s": 5,
              "concurrency": 5}  # fmt: skip
    out, argv = _judge_argv(tmp_path, params, cands)
    judge.main(argv, backoff_s=0.01)
    with open(out, newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    assert [r["id"] for r in rows] == sorted(f"e{i}" for i in range(len(cands)))  # by id, as without concurrency
    expect = {"flaky": ("ok", "6.000000"), "down": ("failed", ""), "good": ("ok", "8.000000")}
    for r in rows:  # each row holds the verdict on its own example
        assert (r["judge_status"], r["judge_score"]) == expect[cands[int(r["id"][1:])].split("#")[0]]
    assert {r["explanation"] for r in rows if r["judge_status"] == "failed"} == {
        "judge call failed: gave up after 3 attempts (HTTP 503)"
    }
    # each flaky example: 503 then OK (one retry); each down example: 1 try + 2 retries; good: one call
    assert _Handler.calls == {c: {"flaky": 2, "down": 3, "good": 1}[c.split("#")[0]] for c in cands}
