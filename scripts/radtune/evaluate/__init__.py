"""Evaluation: generation, baselines, scoring (ROUGE, BERTScore, classification), the LLM judge, the eval table and
the model-level privacy audit."""
