"""EfficientNet-Lite on DeepHash list images: the crop layer and the parts the examples build."""

import keras
import numpy as np
import pytest

from keras_hashing.backbones.efficientnet_lite import efficientnet_lite_preprocess
from keras_hashing.data.trunk_cache import crop_views
from keras_hashing.recipes import efficientnet_lite_crop
from keras_hashing.recipes import efficientnet_lite_parts


def test_test_view_is_the_cache_centre_crop_scaled_as_the_weights_expect():
    """The in-model crop at inference equals the cache's view 0 after the backbone's scaling."""
    rng = np.random.default_rng(0)
    bgr = rng.integers(0, 256, (3, 256, 256, 3), dtype=np.uint8)
    layer = efficientnet_lite_crop("lite0")
    assert layer.num_views == 1 and layer.crop_size == 224
    crops = keras.ops.convert_to_numpy(layer(bgr))
    expected = np.stack(
        [crop_views(image[..., ::-1], 1, 224, rng)[0] for image in bgr]
    ).astype("float32")
    np.testing.assert_allclose(crops, efficientnet_lite_preprocess(expected), atol=1e-6)


def test_lite1_crops_240_and_lite2_is_refused_on_256_px_images():
    assert efficientnet_lite_crop("lite1").crop_size == 240
    with pytest.raises(ValueError, match="260-px crops"):
        efficientnet_lite_crop("lite2")
    with pytest.raises(ValueError, match="variant"):
        efficientnet_lite_crop("lite9")


def test_parts_build_a_hashing_model_that_encodes_list_images():
    from keras_hashing.models import DCH

    backbone, preprocessor = efficientnet_lite_parts("efficientnet_lite0", weights=None, seed=0)
    model = DCH(backbone, 8, preprocessor=preprocessor, num_labels=2)
    images = np.random.default_rng(1).integers(0, 256, (2, 256, 256, 3), dtype=np.uint8)
    codes = model.encode(images)
    assert codes.shape == (2, 8) and set(np.unique(codes)) <= {-1.0, 1.0}
    with pytest.raises(ValueError, match=r"`image_model` must be one of \('efficientnet_lite0'"):
        efficientnet_lite_parts("efficientnet_b0")
