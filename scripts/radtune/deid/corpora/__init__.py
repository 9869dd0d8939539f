"""Corpora with planted identifiers that de-identification is measured on (synthetic demo reports, held-out styles
A-C); word lists and frames live beside them as data files."""
