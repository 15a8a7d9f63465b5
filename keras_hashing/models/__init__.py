"""Hashing models: one file per method, all sharing `HashingModel`."""

from keras_hashing.models.base import HashingModel
from keras_hashing.models.dch import DCH
