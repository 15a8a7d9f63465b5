"""keras_hashing.optimizers."""
