"""radtune: the code the workflow's rules run, one subpackage per stage, floors bottom up (each imports only its own
floor and the ones below; tests/test_layout.py checks it): core; data and deid side by side; train; evaluate; serve."""
