"""Callbacks: retrieval evaluation, code/codebook updates and training guards."""

from keras_hashing.callbacks.training import NonFiniteLossError
from keras_hashing.callbacks.training import StopAtStep
from keras_hashing.callbacks.training import TerminateOnNonFiniteLoss
