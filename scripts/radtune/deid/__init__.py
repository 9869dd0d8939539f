"""De-identification and its measurement: the Presidio engine, the radiology recognizers, the quality check, the
memorisation canaries, and the corpora they are measured on."""
