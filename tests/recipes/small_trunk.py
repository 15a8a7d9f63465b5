"""What the cached-trunk recipe tests share: the trunk's test input side and the centre crops
its cache stores for the query and database images."""

import cv2
import numpy as np

SIZE = 32  # the trunk's input side in these tests (224 for Lite0 in real runs)


def centre_crops(list_path):
    """The RGB centre crops the cache's query/database view is made from."""
    from keras_hashing.data.image_list import load_image
    from keras_hashing.data.list_files import read_image_list
    from keras_hashing.data.trunk_cache import crop_views

    paths, _ = read_image_list(list_path)
    resize = round(SIZE * 256 / 224)
    crops = []
    for path in paths:
        image = cv2.cvtColor(load_image(path, resize), cv2.COLOR_BGR2RGB)
        crops.append(crop_views(image, 1, SIZE, np.random.default_rng(0))[0])
    return np.stack(crops).astype("float32")
