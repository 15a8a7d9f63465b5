"""keras_hashing.backbones."""
