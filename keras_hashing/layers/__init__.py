"""Custom layers."""

from keras_hashing.layers.caffe_crop import CaffeCrop
from keras_hashing.layers.codebook import Codebook
from keras_hashing.layers.dadh_discriminator import DADHDiscriminator
from keras_hashing.layers.local_response_normalization import LocalResponseNormalization
from keras_hashing.layers.random_flip_crop import RandomFlipCrop
from keras_hashing.layers.recurrent_scaling import RecurrentScaling
from keras_hashing.layers.sign_ste import SignSTE
from keras_hashing.layers.sign_ste import sign_codes
from keras_hashing.layers.torch_batch_norm import TorchBatchNormalization
from keras_hashing.layers.torch_dense import TorchDense
