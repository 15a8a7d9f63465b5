"""Custom layers."""

from keras_hashing.layers.sign_ste import SignSTE
from keras_hashing.layers.sign_ste import sign_codes
from keras_hashing.layers.codebook import Codebook
from keras_hashing.layers.recurrent_scaling import RecurrentScaling
