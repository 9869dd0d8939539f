"""Shared plumbing for every stage: user-facing errors, atomic outputs, JSONL, local-model lookup, CLI entry."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import importlib.util
import json
import logging
import os
import re
import secrets
import shutil
import stat
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

log = logging.getLogger("radtune")

# The data splits (results/data/{split}.jsonl, in this order) and the reference baselines' kinds (rows
# baseline_<kind> of eval.tsv; config/schema.yaml eval.models.baselines lists the same, checked by a test).
SPLITS = ("train", "val", "test")
BASELINE_KINDS = ("constant", "retrieval", "extractive")


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


# Everything radtune writes may hold patient text (raw or de-identified): owner-only, always.
PRIVATE_UMASK = 0o077
PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700


class ConservationError(RadtuneError):
    """Rows went missing (or appeared) between two stages: a stale or partial input, never a reason to go on."""


def check_conservation(stage: str, rows_in: int, accounted: dict[str, int], what: str = "rows") -> None:
    """Every row a stage reads leaves it in exactly one of `accounted` (kept, or dropped with a reason); otherwise
    stop, naming the stage and the counts (never any row's text)."""
    total = sum(accounted.values())
    if total != rows_in:
        parts = " + ".join(f"{k} {v}" for k, v in accounted.items())
        raise ConservationError(
            f"conservation check failed at {stage}: {rows_in} {what} in, {total} accounted for ({parts}); "
            f"{abs(rows_in - total)} {'lost' if total < rows_in else 'appeared'}"
        )


def make_private(path: str | os.PathLike) -> None:
    """chmod a file to 0600, or a folder and everything in it to 0700 (folders) / 0600 (files)."""
    path = Path(path)
    if path.is_symlink():
        return
    if not path.is_dir():
        os.chmod(path, PRIVATE_FILE_MODE)
        return
    os.chmod(path, PRIVATE_DIR_MODE)
    for root, dirs, files in os.walk(path):
        for d in dirs:
            if not os.path.islink(os.path.join(root, d)):
                os.chmod(os.path.join(root, d), PRIVATE_DIR_MODE)
        for f in files:
            if not os.path.islink(os.path.join(root, f)):
                os.chmod(os.path.join(root, f), PRIVATE_FILE_MODE)


def _private_mkdir(folder: Path) -> None:
    """mkdir -p whose new folders are 0700 (existing folders are left as they are)."""
    old = os.umask(PRIVATE_UMASK)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    finally:
        os.umask(old)


OWNER_FILE = ".radtune-writer"  # "host pid" of the process writing a temporary


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def remove_stale_temporaries(final: str | os.PathLike) -> int:
    """Remove the `.{name}.*` folders a killed atomic_path left next to `final`; returns how many.

    One output has one writer, so the only temporaries of this exact name belong to earlier, dead
    writers of the same output (other outputs in the folder have other names). A temporary whose
    owner file names a live process on this host is kept (its writer is still at work).
    """
    final = Path(final)
    if not final.parent.is_dir():
        return 0
    removed = 0
    host = os.uname().nodename
    # Exactly mkdtemp's names for this output: ".{name}." + 8 random [a-z0-9_] (so not another output's
    # temporaries, e.g. ".train.stats.json.XXXXXXXX" next to ".train.XXXXXXXX").
    own = re.compile(re.escape(f".{final.name}.") + r"[a-z0-9_]{8}")
    for tmp in final.parent.iterdir():
        if not own.fullmatch(tmp.name) or not tmp.is_dir() or tmp.is_symlink():
            continue
        try:
            who_host, who_pid = (tmp / OWNER_FILE).read_text().split()
            if who_host == host and _pid_alive(int(who_pid)):
                continue
        except (OSError, ValueError):
            pass
        shutil.rmtree(tmp, ignore_errors=True)
        removed += 1
    if removed:
        log.info("removed %d stale temporary folder(s) of %s left by an interrupted run", removed, final)
    return removed


@contextlib.contextmanager
def atomic_path(final: str | os.PathLike, *, directory: bool = False) -> Iterator[Path]:
    """Yield a temporary sibling path; move it onto `final` only if the block succeeds.

    A failed step therefore leaves no partial output (Snakemake also removes outputs of failed
    jobs, but scripts run outside Snakemake - tests, benches - get the same guarantee). The output is
    owner-only (file 0600; a folder output 0700 with 0600 files; missing parent folders are made
    0700), and temporaries of `final` left by a killed earlier writer are removed first.
    """
    final = Path(final)
    _private_mkdir(final.parent)
    remove_stale_temporaries(final)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))  # mkdtemp: mode 0700
    target = tmp / final.name
    try:
        (tmp / OWNER_FILE).write_text(f"{os.uname().nodename} {os.getpid()}\n")
        if directory:
            target.mkdir(mode=PRIVATE_DIR_MODE)
        yield target
        if target.exists():
            make_private(target)
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
    """Hex digest of the parts, stable across processes and machines (unlike hash()).

    Unkeyed: anyone can recompute it, so never use it on identifiers (see keyed_hash)."""
    h = hashlib.sha256()
    for p in parts:
        h.update(str(p).encode("utf-8"))
        h.update(b"\x1f")
    return h.hexdigest()[:digits]


# ---- keyed pseudonyms ---------------------------------------------------------------------------

PSEUDONYM_KEY_MIN_CHARS = 32


def keyed_hash(key: bytes, *parts: object, digits: int = 16) -> str:
    """HMAC-SHA256 of the parts under a secret key (hex, `digits` long): a pseudonym of report and
    patient ids that cannot be recomputed by hashing guessed accession numbers without the key."""
    h = hmac.new(key, digestmod=hashlib.sha256)
    for p in parts:
        h.update(str(p).encode("utf-8"))
        h.update(b"\x1f")
    return h.hexdigest()[:digits]


def key_fingerprint(key: bytes) -> str:
    """A one-way tag of the key (rules pass it as a param, so a changed key reruns ingest); not the key."""
    return keyed_hash(key, "radtune pseudonym key fingerprint", digits=12)


def _create_key_file(path: Path) -> None:
    """Write a fresh random key to `path` (0600, its new folders 0700); a concurrent creator may win."""
    _private_mkdir(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # mkstemp: mode 0600
    try:
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secrets.token_hex(32) + "\n")
        with contextlib.suppress(FileExistsError):  # link, unlike rename, never replaces another job's key
            os.link(tmp, path)
    finally:
        os.unlink(tmp)


def load_pseudonym_key(
    file: str | os.PathLike | None, env: str | None, *, real_data: bool, create: bool | None = None
) -> bytes:
    """The secret that keys report/patient pseudonyms; never logged, never passed on a command line.

    From the environment variable `env` when it is set, else from `file`. A missing file is created
    (random, 0600, logged by path) only for demo data: with `real_data` it is an error, since a lost or
    silently new key would make ids and splits unreproducible and a key must be kept deliberately.
    `create=False` never creates one (a job: the workflow made or checked the key at start-up).
    """
    create = not real_data if create is None else create
    if env and os.environ.get(env, "").strip():
        key, source = os.environ[env].strip().encode("utf-8"), f"environment variable {env}"
    else:
        if not file:
            raise RadtuneError(f"no pseudonym key: set the environment variable {env} or config pseudonym_key.file")
        path = Path(file).expanduser()
        source = f"pseudonym key file {path}"
        if not path.exists():
            if not create:
                raise RadtuneError(
                    f"{source} does not exist{f' and {env} is not set' if env else ''}: with real_data: true "
                    "radtune never makes a key. Create one outside the repository and results/ and keep it "
                    "(the same key gives the same ids and splits), e.g.: (umask 077; mkdir -p "
                    f"{path.parent} && python3 -c 'import secrets; print(secrets.token_hex(32))' > {path})"
                )
            _create_key_file(path)
            log.warning(
                "created a new pseudonym key %s (mode 0600) for demo data: keep it to get the same ids and "
                "splits again; real data (real_data: true) needs a key you create yourself",
                path,
            )
        if path.is_dir():
            raise RadtuneError(f"{source} is a folder, not a file")
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            if real_data:
                raise RadtuneError(f"{source} can be read by other users (mode {mode:o}): chmod 600 {path}")
            log.warning("%s can be read by other users (mode %o): chmod 600 it", source, mode)
        try:
            key = path.read_bytes().strip()
        except OSError as exc:
            raise RadtuneError(f"cannot read {source} ({exc.strerror})") from None
    if len(key) < PSEUDONYM_KEY_MIN_CHARS:
        raise RadtuneError(f"{source} holds fewer than {PSEUDONYM_KEY_MIN_CHARS} characters: too short for a key")
    return key


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
    """Run a stage's main(); a RadtuneError becomes one clear line on stderr and exit status 1.

    Everything a stage writes is owner-only (umask 077), whether Snakemake runs it or not.
    """
    os.umask(PRIVATE_UMASK)
    setup_logging()
    try:
        main(argv)
    except RadtuneError as exc:
        print(f"radtune error: {exc}", file=sys.stderr)
        sys.exit(1)
