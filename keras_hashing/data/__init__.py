"""keras_hashing.data: list files, Fashion-MNIST, TFDS, cross-modal data and `tf.data` pipelines.

Images for AlexNet follow thulab/DeepHash's loader: OpenCV, BGR, uint8, 256x256 bilinear.
Fashion-MNIST for the small CNN is float32 `(28, 28, 1)` in [0, 1].
"""

from keras_hashing.data.cross_modal import CrossModalData
from keras_hashing.data.cross_modal import CrossModalPart
from keras_hashing.data.cross_modal import load_dadh_mat
from keras_hashing.data.cross_modal import load_djsrh_mirflickr
from keras_hashing.data.cross_modal import load_djsrh_nuswide
from keras_hashing.data.cross_modal import load_djsrh_wiki
from keras_hashing.data.cross_modal import paired_dataset
from keras_hashing.data.cross_modal import two_view_fashion_mnist
from keras_hashing.data.drsh import DRSHTripletSampler
from keras_hashing.data.drsh import H5Entries
from keras_hashing.data.drsh import drsh_triplet_dataset
from keras_hashing.data.fashion_mnist import FashionMNISTSplit
from keras_hashing.data.fashion_mnist import load_fashion_mnist
from keras_hashing.data.image_list import ImageListDataset
from keras_hashing.data.image_list import image_list_dataset
from keras_hashing.data.image_list import load_image
from keras_hashing.data.image_list import read_image_list
from keras_hashing.data.image_list import write_image_list
from keras_hashing.data.openclipart import OpenClipArt
from keras_hashing.data.openclipart import OpenClipArtRecord
from keras_hashing.data.openclipart import attach_image_features
from keras_hashing.data.openclipart import bag_of_words
from keras_hashing.data.openclipart import build_openclipart
from keras_hashing.data.openclipart import build_vocabulary
from keras_hashing.data.openclipart import glove_average
from keras_hashing.data.openclipart import load_openclipart
from keras_hashing.data.openclipart import openclipart_split
from keras_hashing.data.openclipart import render_png
from keras_hashing.data.openclipart import scan_openclipart
from keras_hashing.data.openclipart import select_openclipart
from keras_hashing.data.openclipart import write_openclipart
from keras_hashing.data.pipelines import FashionMNISTDatasets
from keras_hashing.data.pipelines import array_dataset
from keras_hashing.data.pipelines import fashion_mnist_datasets
from keras_hashing.data.pipelines import fashion_mnist_inputs
from keras_hashing.data.tfds import convert_images
from keras_hashing.data.tfds import dataset_from_spec
from keras_hashing.data.tfds import load_tfds_split
from keras_hashing.data.tfds import retrieval_split
from keras_hashing.data.triplets import IndexedSource
from keras_hashing.data.triplets import TripletSampler
from keras_hashing.data.triplets import indexed_dataset
from keras_hashing.data.triplets import mine_triplets
from keras_hashing.data.triplets import triplet_dataset
from keras_hashing.data.trunk_cache import TrunkCache
from keras_hashing.data.trunk_cache import crop_views
from keras_hashing.data.trunk_cache import trunk_cache_dataset
from keras_hashing.data.word_vectors import label_embeddings
from keras_hashing.data.word_vectors import load_deephash_wordvec
from keras_hashing.data.word_vectors import load_keyed_vectors

__all__ = [
    "OpenClipArt",
    "OpenClipArtRecord",
    "attach_image_features",
    "bag_of_words",
    "build_openclipart",
    "build_vocabulary",
    "glove_average",
    "load_openclipart",
    "openclipart_split",
    "render_png",
    "scan_openclipart",
    "select_openclipart",
    "write_openclipart",
    "CrossModalData",
    "CrossModalPart",
    "FashionMNISTDatasets",
    "FashionMNISTSplit",
    "ImageListDataset",
    "IndexedSource",
    "TripletSampler",
    "TrunkCache",
    "array_dataset",
    "convert_images",
    "crop_views",
    "dataset_from_spec",
    "fashion_mnist_datasets",
    "fashion_mnist_inputs",
    "image_list_dataset",
    "indexed_dataset",
    "label_embeddings",
    "load_dadh_mat",
    "load_fashion_mnist",
    "load_deephash_wordvec",
    "load_djsrh_mirflickr",
    "load_djsrh_nuswide",
    "load_djsrh_wiki",
    "load_image",
    "load_keyed_vectors",
    "load_tfds_split",
    "mine_triplets",
    "paired_dataset",
    "read_image_list",
    "retrieval_split",
    "triplet_dataset",
    "trunk_cache_dataset",
    "two_view_fashion_mnist",
    "write_image_list",
]
