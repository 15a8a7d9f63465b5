"""keras_hashing.quantization."""
