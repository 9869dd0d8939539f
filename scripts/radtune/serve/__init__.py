"""Serving a trained variant: the exported bundle with its model card, and batch predictions on new reports."""
