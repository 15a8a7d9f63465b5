"""What the two-tower cross-modal models (DADH, DJSRH) share at inference."""


def modality_outputs(model, inputs, training):
    """`{"image": ..., "text": ...}` for whichever of the two keys the `inputs` dict holds."""
    outputs = {}
    if "image" in inputs:
        outputs["image"] = model.image_outputs(inputs["image"], training=training)
    if "text" in inputs:
        outputs["text"] = model.text_outputs(inputs["text"], training=training)
    return outputs
