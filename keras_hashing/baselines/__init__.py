"""keras_hashing.baselines."""
