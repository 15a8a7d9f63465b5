"""Retrieval indexes: Hamming search over binary codes (faiss in process, or Milvus for
collections that outgrow one process) and AQD / SQD search over DQN, DVSQ and DTQ codes."""

from keras_hashing.index.binary_codes import pack_codes
from keras_hashing.index.binary_codes import unpack_codes
from keras_hashing.index.hamming_index import HammingIndex
from keras_hashing.index.milvus_index import MilvusHammingIndex
from keras_hashing.index.quantization_index import QuantizationIndex

__all__ = [
    "HammingIndex",
    "MilvusHammingIndex",
    "QuantizationIndex",
    "pack_codes",
    "unpack_codes",
]
