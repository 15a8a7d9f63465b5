"""keras_hashing.layers."""
