"""keras_hashing.index."""
