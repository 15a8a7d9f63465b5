"""keras_hashing.losses."""
