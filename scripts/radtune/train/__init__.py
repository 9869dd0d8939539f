"""Training: recipes, launching (torchrun/accelerate under SLURM), the run itself (run: prepare, model, preemption,
checkpoints, outputs), QLoRA quantization, base-model preparation."""
