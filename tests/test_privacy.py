"""Patient text at rest: owner-only outputs, no stale temporaries after a kill, the pseudonym key's rules."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from radtune.core.common import (
    RadtuneError,
    atomic_path,
    key_fingerprint,
    keyed_hash,
    load_pseudonym_key,
    remove_stale_temporaries,
    write_jsonl,
)

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def leftovers(folder: Path, name: str) -> list[Path]:
    return [p for p in folder.iterdir() if p.name.startswith(f".{name}.")]


# ---- owner-only outputs ---------------------------------------------------------------------------


def test_atomic_outputs_are_owner_only_even_under_a_loose_umask(tmp_path):
    old = os.umask(0o022)
    try:
        write_jsonl(tmp_path / "new" / "deeper" / "x.jsonl", [{"text": "report"}])
        with atomic_path(tmp_path / "new" / "model", directory=True) as tmp:
            (tmp / "sub").mkdir()
            (tmp / "sub" / "weights.bin").write_bytes(b"0")
            (tmp / "config.json").write_text("{}")
    finally:
        os.umask(old)
    assert mode(tmp_path / "new" / "deeper" / "x.jsonl") == 0o600
    assert mode(tmp_path / "new") == 0o700 and mode(tmp_path / "new" / "deeper") == 0o700
    model = tmp_path / "new" / "model"
    assert mode(model) == 0o700 and mode(model / "sub") == 0o700
    assert mode(model / "config.json") == 0o600 and mode(model / "sub" / "weights.bin") == 0o600


def test_run_main_sets_a_private_umask(tmp_path):
    target = str(tmp_path / "f")
    code = f"from radtune.core.common import run_main\nrun_main(lambda argv: open({target!r}, 'w').write('x'))"
    subprocess.run([sys.executable, "-c", code], env={"PYTHONPATH": str(SCRIPTS)}, check=True)
    assert mode(tmp_path / "f") == 0o600


# ---- a writer killed mid-write ----------------------------------------------------------------------

WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from radtune.core.common import atomic_path
    final = Path(sys.argv[1])
    with atomic_path(final) as tmp:
        tmp.write_text("raw report text\\n" * 1000)
        Path(sys.argv[2]).write_text("writing")  # tell the test we are inside atomic_path
        time.sleep(600)
    """
)


def start_writer(final: Path, ready: Path) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(final), str(ready)], env={"PYTHONPATH": str(SCRIPTS)})
    deadline = time.monotonic() + 60
    while not ready.exists():
        assert proc.poll() is None and time.monotonic() < deadline, "writer did not start"
        time.sleep(0.05)
    return proc


def test_sigkill_mid_write_leaves_nothing_after_the_next_run(tmp_path):
    out = tmp_path / "shards"
    final = out / "000_0000.parquet"
    proc = start_writer(final, tmp_path / "ready")
    # A live writer's temporary is never touched, even by a cleanup of the same output.
    assert remove_stale_temporaries(final) == 0 and len(leftovers(out, final.name)) == 1
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    [stale] = leftovers(out, final.name)
    assert (stale / final.name).read_text().startswith("raw report text")  # what the kill leaves behind
    assert mode(stale) == 0o700 and not final.exists()
    # Another output in the same folder (its own writer, another name) leaves that temporary alone...
    with atomic_path(out / "000_0001.parquet") as tmp:
        tmp.write_text("other")
    assert leftovers(out, final.name) == [stale]
    # ...the rerun of the same output removes it.
    with atomic_path(final) as tmp:
        tmp.write_text("done")
    assert final.read_text() == "done"
    assert sorted(p.name for p in out.iterdir()) == ["000_0000.parquet", "000_0001.parquet"]


def test_cleanup_spares_temporaries_of_longer_names(tmp_path):
    # ".train.stats.json.XXXXXXXX" starts like a temporary of "train" but belongs to train.stats.json.
    other = tmp_path / ".train.stats.json.abcd1234"
    other.mkdir()
    mine = tmp_path / ".train.abcd1234"
    mine.mkdir()
    assert remove_stale_temporaries(tmp_path / "train") == 1
    assert other.exists() and not mine.exists()


# ---- the pseudonym key ------------------------------------------------------------------------------


def test_demo_key_is_created_once_owner_only_and_logged_by_path(tmp_path, caplog, monkeypatch):
    monkeypatch.delenv("RADTUNE_PSEUDONYM_KEY", raising=False)
    path = tmp_path / "cfg" / "radtune" / "pseudonym.key"
    with caplog.at_level(logging.WARNING):
        key = load_pseudonym_key(path, "RADTUNE_PSEUDONYM_KEY", real_data=False)
    assert mode(path) == 0o600 and mode(path.parent) == 0o700
    assert len(key) == 64 and path.read_bytes().strip() == key
    assert str(path) in caplog.text and key.decode() not in caplog.text
    assert load_pseudonym_key(path, "RADTUNE_PSEUDONYM_KEY", real_data=False) == key  # not recreated
    assert key_fingerprint(key) != key_fingerprint(b"x" * 40) and key.decode() not in key_fingerprint(key)


def test_real_data_needs_an_existing_private_key(tmp_path, monkeypatch):
    monkeypatch.delenv("RADTUNE_PSEUDONYM_KEY", raising=False)
    path = tmp_path / "pseudonym.key"
    with pytest.raises(RadtuneError, match="never makes a key"):
        load_pseudonym_key(path, "RADTUNE_PSEUDONYM_KEY", real_data=True)
    assert not path.exists()
    path.write_text("k" * 64 + "\n")
    path.chmod(0o644)
    with pytest.raises(RadtuneError, match="chmod 600"):
        load_pseudonym_key(path, "RADTUNE_PSEUDONYM_KEY", real_data=True)
    path.chmod(0o600)
    assert load_pseudonym_key(path, "RADTUNE_PSEUDONYM_KEY", real_data=True) == b"k" * 64
    path.write_text("s3cr3t\n")
    with pytest.raises(RadtuneError, match="fewer than 32") as info:
        load_pseudonym_key(path, "RADTUNE_PSEUDONYM_KEY", real_data=True)
    assert "s3cr3t" not in str(info.value)
    with pytest.raises(RadtuneError, match="is a folder"):
        load_pseudonym_key(tmp_path, None, real_data=True)


def test_environment_key_wins_over_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("SITE_KEY", "e" * 40)
    assert load_pseudonym_key(tmp_path / "absent.key", "SITE_KEY", real_data=True) == b"e" * 40
    assert not (tmp_path / "absent.key").exists()


def test_keyed_hash_depends_on_the_key():
    assert keyed_hash(b"a" * 32, "demo", "A1") == keyed_hash(b"a" * 32, "demo", "A1")
    assert keyed_hash(b"a" * 32, "demo", "A1") != keyed_hash(b"b" * 32, "demo", "A1")
    assert len(keyed_hash(b"a" * 32, "x")) == 16


def test_deid_refuses_a_text_over_spacys_limit_with_its_row(tmp_path):
    import polars as pl

    from radtune.core.common import InputError
    from radtune.deid.engine import run

    shard = tmp_path / "000_0000.parquet"
    pl.DataFrame(
        {"id": ["d-1", "d-2"], "line": [2, 7], "source": ["exports/jan.csv"] * 2, "findings": ["ok", "w" * 1_000_001]}
    ).write_parquet(shard)
    allow = tmp_path / "allow.txt"
    allow.write_text("")
    out = tmp_path / "deid" / "000_0000.parquet"
    with pytest.raises(InputError, match="longer than 1,000,000") as info:
        run(shard, out, tmp_path / "deid" / "a.tsv", allow, {})
    assert (info.value.file, info.value.line, info.value.column) == ("exports/jan.csv", 7, "findings")
    assert not out.exists()
