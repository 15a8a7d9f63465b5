"""keras_hashing.data."""
