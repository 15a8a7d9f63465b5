"""Optimisers reproducing the originals' update rules."""

from keras_hashing.optimizers.arctic_adam import ArcticAdam
from keras_hashing.optimizers.arctic_adam import DRSHAdam
from keras_hashing.optimizers.tf1_momentum import DEEPHASH_MULTIPLIERS
from keras_hashing.optimizers.tf1_momentum import TF1Momentum
from keras_hashing.optimizers.tf1_momentum import cosine_momentum_optimizer
from keras_hashing.optimizers.tf1_momentum import deephash_optimizer
from keras_hashing.optimizers.torch_adam import TorchAdam
from keras_hashing.optimizers.torch_adam import torch_adam_update
from keras_hashing.optimizers.torch_rmsprop import EpochCosineAnnealing
from keras_hashing.optimizers.torch_rmsprop import TorchRMSprop
from keras_hashing.optimizers.torch_rmsprop import dhn_pytorch_optimizer
