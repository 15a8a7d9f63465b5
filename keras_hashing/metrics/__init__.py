"""keras_hashing.metrics."""
