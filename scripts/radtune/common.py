"""Shared plumbing for every stage: user-facing errors, atomic outputs, JSONL, local-model lookup, CLI entry."""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

log = logging.getLogger("radtune")


class RadtuneError(Exception):
    """An error the user can act on. Printed without a traceback; never carries patient text."""


class InputError(RadtuneError):
    """Bad input data, located by file, line (1-based, header = line 1) and column."""

    def __init__(
        self, file: str | os.PathLike, message: str, *, line: int | None = None, column: str | None = None
    ) -> None:
        where = [f"file {file}"]
        if line is not None:
            where.append(f"line {line}")
        if column is not None:
            where.append(f"column {column!r}")
        super().__init__(f"{', '.join(where)}: {message}")
        self.file, self.line, self.column = str(file), line, column


@contextlib.contextmanager
def atomic_path(final: str | os.PathLike, *, directory: bool = False) -> Iterator[Path]:
    """Yield a temporary sibling path; move it onto `final` only if the block succeeds.

    A failed step therefore leaves no partial output (Snakemake also removes outputs of failed
    jobs, but scripts run outside Snakemake - tests, benches - get the same guarantee).
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
    target = tmp / final.name
    if directory:
        target.mkdir()
    try:
        yield target
        if final.is_dir() and not final.is_symlink():
            shutil.rmtree(final)
        elif final.exists():
            final.unlink()
        os.replace(target, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def iter_jsonl(
    path: str | os.PathLike, required: Sequence[str] = (), *, what: str = "file"
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line, record) for each non-blank line of a JSONL file; errors name file, line and column.

    `required` fields must be present and strings. Line numbers are the file's own (blank lines count).
    """
    if not Path(path).exists():
        raise InputError(path, f"{what} does not exist")
    with open(path, encoding="utf-8") as fh:
        for i, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(path, f"not valid JSON ({exc.msg})", line=i) from None
            if not isinstance(row, dict):
                raise InputError(path, "expected a JSON object", line=i)
            for col in required:
                if col not in row:
                    raise InputError(path, "missing field", line=i, column=col)
                if not isinstance(row[col], str):
                    raise InputError(path, f"expected a string, got {type(row[col]).__name__}", line=i, column=col)
            yield i, row


def read_jsonl(path: str | os.PathLike, required: Sequence[str] = (), *, what: str = "file") -> list[dict[str, Any]]:
    """All records of a JSONL file, checked as iter_jsonl does."""
    return [row for _, row in iter_jsonl(path, required, what=what)]


def write_jsonl(path: str | os.PathLike, rows: Iterable[dict[str, Any]]) -> int:
    """Write rows as JSONL atomically (sorted keys, UTF-8, byte-stable). Returns the row count."""
    n = 0
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
            n += 1
    return n


def json_arg(text: str, flag: str) -> Any:
    """A JSON command-line argument (the rules pass config sections as JSON), with a clear error."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise RadtuneError(f"{flag} is not valid JSON ({exc.msg})") from None


def stable_hash(*parts: object, digits: int = 16) -> str:
    """Hex digest of the parts, stable across processes and machines (unlike hash())."""
    h = hashlib.sha256()
    for p in parts:
        h.update(str(p).encode("utf-8"))
        h.update(b"\x1f")
    return h.hexdigest()[:digits]


def hash_fraction(*parts: object) -> float:
    """Deterministic value in [0, 1) derived from the parts (for seeded, order-free choices)."""
    return int(stable_hash(*parts, digits=15), 16) / 16**15


def package_dir(package: str) -> Path:
    """Folder of an installed package, found without importing it (some model packages' __init__ has side effects)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise RadtuneError(
            f"package {package!r} is not installed; install it (see requirements-nodeps.txt) or give a local path"
        )
    return Path(list(spec.submodule_search_locations)[0])


def _has_weights(folder: Path) -> bool:
    return any(folder.glob("*.safetensors")) or any(folder.glob("pytorch_model*.bin"))


def resolve_local_model(spec: dict[str, Any]) -> Path:
    """Directory of a local model from a config entry {path: ...} or {package: ...}; never downloads.

    A package entry resolves to the folder holding the model files: the package folder itself if it
    has the named gguf_file or a config.json next to weights, else its one sub-folder with a
    config.json next to weights (sentence-transformers folders also hold e.g. 1_Pooling/config.json).
    """
    if spec.get("path"):
        p = Path(spec["path"]).expanduser()
        if not p.exists():
            raise RadtuneError(f"model path {p} does not exist (models are local paths; nothing is downloaded)")
        return p
    if not spec.get("package"):
        raise RadtuneError("a local model needs a 'path' or a 'package'")
    root = package_dir(spec["package"])
    if spec.get("gguf_file"):
        if (root / spec["gguf_file"]).exists():
            return root
        raise RadtuneError(f"package {spec['package']!r} has no file {spec['gguf_file']!r}")
    found = sorted({c.parent for c in root.rglob("config.json") if _has_weights(c.parent)})
    if len(found) == 1:
        return found[0]
    raise RadtuneError(f"package {spec['package']!r} holds no single model folder (found {len(found)})")


def setup_logging(verbose: bool = False) -> None:
    """Log to stderr (Snakemake redirects it to the rule's log). Messages never include report text."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
        force=True,
    )
    for noisy in ("presidio-analyzer", "presidio-anonymizer", "httpx", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def run_main(main: Callable[[list[str] | None], None], argv: list[str] | None = None) -> None:
    """Run a stage's main(); a RadtuneError becomes one clear line on stderr and exit status 1."""
    setup_logging()
    try:
        main(argv)
    except RadtuneError as exc:
        print(f"radtune error: {exc}", file=sys.stderr)
        sys.exit(1)
