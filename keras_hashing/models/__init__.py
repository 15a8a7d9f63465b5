"""Hashing models: one file per method, all sharing `HashingModel`."""

from keras_hashing.models.base import HashingModel
from keras_hashing.models.dadh import DADH
from keras_hashing.models.dch import DCH
from keras_hashing.models.dhn import DHN
from keras_hashing.models.dhn import DHNPyTorch
from keras_hashing.models.djsrh import DJSRH
from keras_hashing.models.dqn import DQN
from keras_hashing.models.dqn import QuantizationModel
from keras_hashing.models.drsh import DRSH
from keras_hashing.models.dtq import DTQ
from keras_hashing.models.dvsq import DVSQ
