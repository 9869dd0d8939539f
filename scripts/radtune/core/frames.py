"""Parquet tables between the data stages (polars lives in the data environment only, so not in common)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import polars as pl

from radtune.core.common import InputError


def read_parquet(path: str | os.PathLike, required: Sequence[str] = ()) -> pl.DataFrame:
    """A Parquet table; a missing required column names the file and the column."""
    df = pl.read_parquet(path)
    for col in required:
        if col not in df.columns:
            raise InputError(path, "required column missing", column=col)
    return df


def per_task(exprs: dict[str, pl.Expr]) -> pl.Expr:
    """exprs[task] on the rows of each task (column `task`; null on a task exprs does not name): one when/then
    chain built from radtune.core.tasks.TASKS."""
    chain: Any = None
    for name, expr in exprs.items():
        cond = pl.col("task") == name
        chain = pl.when(cond).then(expr) if chain is None else chain.when(cond).then(expr)
    return pl.lit(None, dtype=pl.String) if chain is None else chain
