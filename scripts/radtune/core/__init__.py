"""The shared core every stage builds on: errors and atomic owner-only files, the task records, file formats, config
keys and their reference, start-up checks, tracking."""
