"""Parquet tables between the data stages (polars lives in the data environment only, so not in common)."""

from __future__ import annotations

import os
from collections.abc import Sequence

import polars as pl

from radtune.common import InputError


def read_parquet(path: str | os.PathLike, required: Sequence[str] = ()) -> pl.DataFrame:
    """A Parquet table; a missing required column names the file and the column."""
    df = pl.read_parquet(path)
    for col in required:
        if col not in df.columns:
            raise InputError(path, "required column missing", column=col)
    return df
