"""Training: recipes, launching (torchrun/accelerate under SLURM), the run itself with preemption and checkpoints,
QLoRA quantization, base-model preparation."""
