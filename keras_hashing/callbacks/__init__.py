"""keras_hashing.callbacks."""
