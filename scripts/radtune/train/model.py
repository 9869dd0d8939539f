"""The model a training run trains: the methods (lora, qlora, full) and the packages they need, the base model
as loaded for each, and the SFTTrainer subclass that logs tokens/s and peak memory."""

from __future__ import annotations

import importlib.util
import logging
import resource
import time
from typing import Any

from radtune.core.common import RadtuneError
from radtune.train.preemption import _world
from radtune.train.qlora import qlora_quantization

log = logging.getLogger("radtune.train.run")  # the run's logger: log lines name radtune.train.run as before

# config `variants.<name>.method` (config/schema.yaml names the same three; tests/test_train_methods.py checks)
METHODS = ("lora", "qlora", "full")
ADAPTER_METHODS = ("lora", "qlora")  # trained as a peft adapter (the recipe's lora: block); full: every weight
# attention implementation / TRL option -> the package it needs (checked before anything is loaded)
ATTN_PACKAGES = {"flash_attention_2": "flash_attn", "flash_attention_3": "flash_attn_interface"}


def check_method(method: str, cuda: bool) -> None:
    """Fail at once where the method cannot run (before any model is loaded). Every method runs on a CPU
    (qlora and full slowly: they are GPU methods); what cannot work is a missing package."""
    if method not in METHODS:
        raise RadtuneError(f"unknown method {method!r}; expected one of {', '.join(METHODS)}")
    need = {"qlora": "bitsandbytes", "full": "deepspeed"}.get(method)
    if need and importlib.util.find_spec(need) is None:
        how = (
            "DS_BUILD_OPS=0 pip install --no-build-isolation deepspeed"
            if need == "deepspeed"
            else "pip install bitsandbytes"
        )
        raise RadtuneError(f"method {method} needs the {need} package, which is not installed ({how})")
    if not cuda and method != "lora":
        log.warning(
            "no CUDA GPU visible: method %s runs on the CPU (%s), much slower than on a GPU",
            method,
            "4-bit NF4 bitsandbytes kernels" if method == "qlora" else "DeepSpeed ZeRO-3 over gloo CPU ranks",
        )


def check_model_fields(fields: dict[str, Any], recipe_path: str) -> None:
    """A recipe's attention implementation / Liger kernels need their packages: say so before loading anything."""
    attn = fields.get("attn_implementation")
    pkg = ATTN_PACKAGES.get(str(attn))
    if pkg and importlib.util.find_spec(pkg) is None:
        raise RadtuneError(
            f"recipe {recipe_path}: attn_implementation {attn} needs the {pkg} package, which is not installed"
            " (a CUDA GPU build); use attn_implementation: sdpa"
        )
    if fields.get("use_liger_kernel") and importlib.util.find_spec("liger_kernel") is None:
        raise RadtuneError(
            f"recipe {recipe_path}: use_liger_kernel needs the liger-kernel package, which is not installed"
            " (pip install liger-kernel; its Triton kernels need a GPU)"
        )


def peak_mem_mb() -> float:
    import torch

    if torch.cuda.is_available():
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def trainer_class() -> type:
    from trl import SFTTrainer

    class RadtuneTrainer(SFTTrainer):
        """SFTTrainer whose log records carry tokens/s and peak memory (kept in trainer_state.json, so a
        resumed run continues the same log)."""

        _last: tuple[float, int] | None = None

        def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
            if "loss" in logs:
                now, seen = time.perf_counter(), int(self.state.num_input_tokens_seen)
                if self._last is not None and now > self._last[0]:
                    logs["tokens_per_s"] = round((seen - self._last[1]) / (now - self._last[0]), 2)
                self._last = (now, seen)
                mem = [round(peak_mem_mb(), 1)]
                dist = _world()
                if dist is not None:  # log() runs on every rank at the same step
                    mem = [None] * dist.get_world_size()
                    dist.all_gather_object(mem, round(peak_mem_mb(), 1))
                logs["peak_mem_mb"] = max(mem)
                logs["peak_mem_mb_ranks"] = "/".join(str(m) for m in mem)
            super().log(logs, start_time)

        def _inner_training_loop(self, *args: Any, **kwargs: Any) -> Any:
            self._last = (time.perf_counter(), int(self.state.num_input_tokens_seen))
            return super()._inner_training_loop(*args, **kwargs)

    return RadtuneTrainer


def preimport_model_class(base: str) -> type:
    """Import the base's model class now. Under ZeRO-3, from_pretrained builds the model inside
    deepspeed.zero.Init, and importing a transformers model module in there fails on torch 2.13
    (TypeError: Signature mismatch ... tensor_pynew: zero.Init patches tensor constructors while
    torch._dynamo registers its polyfills)."""
    from transformers import AutoConfig
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING

    return MODEL_FOR_CAUSAL_LM_MAPPING[type(AutoConfig.from_pretrained(base, local_files_only=True))]


def load_model(base: str, method: str, cuda: bool, bf16: bool, attn_implementation: str | None = None) -> Any:
    import torch
    from transformers import AutoModelForCausalLM

    kwargs: dict[str, Any] = {"local_files_only": True, "attn_implementation": attn_implementation or "sdpa"}
    if method == "qlora":
        kwargs["quantization_config"] = qlora_quantization()
        # non-quantized parts (embeddings, norms): bf16 on a GPU; fp32 on a CPU, where bf16 is ~12x slower
        kwargs["dtype"] = torch.bfloat16 if cuda else torch.float32
        kwargs["device_map"] = None if cuda else {"": "cpu"}
    else:
        kwargs["dtype"] = torch.bfloat16 if (cuda and bf16 and method != "full") else torch.float32
    if method == "full":
        preimport_model_class(base)
    model = AutoModelForCausalLM.from_pretrained(base, **kwargs)
    # No KV cache in training: with a cache, transformers skips detecting packed rows from position_ids.
    model.config.use_cache = False
    if method == "qlora":
        from peft import prepare_model_for_kbit_training

        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=True)
    return model
