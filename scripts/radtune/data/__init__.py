"""The data stages: ingest CSV parts, filter, leak-free split, chat instructions, tokenization and packing."""
