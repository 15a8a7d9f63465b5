"""Binary-code indexes for serving Hamming search."""

from keras_hashing.index.hamming_index import HammingIndex
from keras_hashing.index.hamming_index import pack_codes
