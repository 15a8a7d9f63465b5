"""Backbones (image -> feature vector) and the readers of the original weight files."""

from keras_hashing.backbones.alexnet import AlexNet
from keras_hashing.backbones.alexnet import GroupedConv2D
from keras_hashing.backbones.pretrain import pretrain_classifier
from keras_hashing.backbones.small_cnn import SmallCNN
from keras_hashing.backbones.torch_alexnet import AdaptiveAveragePooling2D
from keras_hashing.backbones.torch_alexnet import TorchAlexNet
from keras_hashing.backbones.torch_alexnet import torchvision_preprocess
from keras_hashing.backbones.vgg import VGG16
from keras_hashing.backbones.vgg import VGG19
from keras_hashing.backbones.vgg import caffe_vgg_preprocess
from keras_hashing.backbones.weights import DeepHashWeights
from keras_hashing.backbones.weights import caffe_vgg_to_keras
from keras_hashing.backbones.weights import load_alexnet_npy
from keras_hashing.backbones.weights import load_torchvision_alexnet_npz
from keras_hashing.backbones.weights import load_vgg_weights
from keras_hashing.backbones.weights import save_alexnet_npy
from keras_hashing.backbones.weights import torchvision_alexnet_to_keras
