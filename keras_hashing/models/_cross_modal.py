"""What the two-tower cross-modal models (DADH, DJSRH) share at inference."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from keras_hashing._types import Tensor
from keras_hashing._types import TensorLike

if TYPE_CHECKING:
    import keras


def modality_outputs(
    model: keras.Model, inputs: Mapping[str, TensorLike], training: bool
) -> dict[str, Tensor]:
    """`{"image": ..., "text": ...}` for whichever of the two keys the `inputs` dict holds."""
    outputs = {}
    if "image" in inputs:
        outputs["image"] = model.image_outputs(inputs["image"], training=training)
    if "text" in inputs:
        outputs["text"] = model.text_outputs(inputs["text"], training=training)
    return outputs
