"""keras_hashing.data: list files, Fashion-MNIST, TFDS, cross-modal data and `tf.data` pipelines.

Images for AlexNet follow thulab/DeepHash's loader: OpenCV, BGR, uint8, 256x256 bilinear.
Fashion-MNIST for the small CNN is float32 `(28, 28, 1)` in [0, 1].

Submodules load on first use of one of their names, so that a JAX-only install can use those
that need no TensorFlow (`list_files`: the DeepHash lists and image reader) without it.
"""

import importlib

# name -> the submodule that defines it.
_EXPORTS = {
    "CrossModalData": "cross_modal",
    "CrossModalPart": "cross_modal",
    "load_dadh_mat": "cross_modal",
    "load_djsrh_mirflickr": "cross_modal",
    "load_djsrh_nuswide": "cross_modal",
    "load_djsrh_wiki": "cross_modal",
    "paired_dataset": "cross_modal",
    "two_view_fashion_mnist": "cross_modal",
    "DRSHTripletSampler": "drsh",
    "H5Entries": "drsh",
    "drsh_triplet_dataset": "drsh",
    "FashionMNISTSplit": "fashion_mnist",
    "load_fashion_mnist": "fashion_mnist",
    "read_fashion_mnist": "fashion_mnist",
    "ImageListDataset": "image_list",
    "image_list_dataset": "image_list",
    "load_image": "list_files",
    "read_image_list": "list_files",
    "write_image_list": "list_files",
    "OpenClipArt": "openclipart",
    "OpenClipArtRecord": "openclipart",
    "attach_image_features": "openclipart",
    "bag_of_words": "openclipart",
    "build_openclipart": "openclipart",
    "build_vocabulary": "openclipart",
    "extract_image_features": "openclipart",
    "glove_average": "openclipart",
    "load_openclipart": "openclipart",
    "openclipart_split": "openclipart",
    "render_png": "openclipart",
    "scan_openclipart": "openclipart",
    "select_openclipart": "openclipart",
    "write_openclipart": "openclipart",
    "FashionMNISTDatasets": "pipelines",
    "array_dataset": "pipelines",
    "fashion_mnist_datasets": "pipelines",
    "fashion_mnist_inputs": "pipelines",
    "convert_images": "tfds",
    "dataset_from_spec": "tfds",
    "load_tfds_split": "tfds",
    "retrieval_split": "tfds",
    "IndexedSource": "triplets",
    "TripletSampler": "triplets",
    "indexed_dataset": "triplets",
    "mine_triplets": "triplets",
    "triplet_dataset": "triplets",
    "TorchvisionImages": "torchvision_images",
    "dhn_pytorch_class_split": "torchvision_images",
    "dhn_pytorch_image_splits": "torchvision_images",
    "image_folder": "torchvision_images",
    "random_resized_crop": "torchvision_images",
    "resize_center_crop": "torchvision_images",
    "TrunkCache": "trunk_cache",
    "crop_views": "trunk_cache",
    "trunk_cache_dataset": "trunk_cache",
    "label_embeddings": "word_vectors",
    "load_deephash_wordvec": "word_vectors",
    "load_keyed_vectors": "word_vectors",
}


def __getattr__(name):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'keras_hashing.data' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"keras_hashing.data.{module}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))


__all__ = sorted(_EXPORTS)
