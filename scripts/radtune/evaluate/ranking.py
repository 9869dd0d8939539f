"""The eval table's column groups and its choice of the strongest baseline, shared by the table and the model card
(standard library only: the export reads them without the scoring packages)."""

from __future__ import annotations

DIAGNOSTIC_COLUMNS = ["distinct_share", "constant_share", "copied_train_share", "placeholder_rate", "length_ratio"]
NOVEL = "novel_"  # prefix of the novel-subset columns


def best_baseline(values: dict[str, float]) -> str | None:
    """The strongest of the baselines {model: mean of the task's main metric}, the one p_vs_best_baseline compares
    with: the highest value, a tie going to the later model name; None when there is none."""
    return max(values, key=lambda m: (values[m], m)) if values else None
