"""What every backbone shares: named weight layers that the file loaders fill by name."""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike


class LayerWeightsMixin:
    """Named access to a backbone's weight layers (`conv1`, ..., `fc7`), used by the loaders.

    A class using it sets `_weight_layer_names` (the file keys, in order) before calling these.
    Every named layer holds `[kernel, bias]` in Keras layout (kernels HWIO, dense `(in, out)`).
    """

    def weight_names(self) -> list[str]:
        """The weight-file keys of this backbone's layers, in network order."""
        return list(self._weight_layer_names)

    def expected_weight_shapes(self) -> dict[str, list[tuple[int, ...]]]:
        """`{name: [kernel_shape, bias_shape]}` for every weight layer."""
        return {
            name: [tuple(int(d) for d in w.shape) for w in self.get_layer(name).weights]
            for name in self._weight_layer_names
        }

    def get_layer_weights(self) -> dict[str, list[np.ndarray]]:
        """`{name: [kernel, bias]}` as float32 NumPy arrays (what the `.npy` files hold)."""
        return {
            name: [np.asarray(w, dtype="float32") for w in self.get_layer(name).get_weights()]
            for name in self._weight_layer_names
        }

    def set_layer_weights(
        self, layer_weights: Mapping[str, Sequence[ArrayLike]], source: str = "layer_weights"
    ) -> None:
        """Sets every weight layer from `{name: [kernel, bias]}`; extra keys are ignored.

        Args:
            layer_weights: mapping from layer name to a `[kernel, bias]` pair.
            source: str, what the weights came from (a file path); named in errors.

        Raises:
            ValueError: a layer is missing or an array has another shape (naming `source`, the
                key, the expected and the found shape). Nothing is set when any check fails.
        """
        expected = self.expected_weight_shapes()
        checked = {}
        for name, shapes in expected.items():
            if name not in layer_weights:
                raise ValueError(
                    f"{source}: missing key '{name}' for {self.name}; expected [W {shapes[0]}, "
                    f"b {shapes[1]}], found keys {sorted(layer_weights)}."
                )
            pair = layer_weights[name]
            if len(pair) != len(shapes):
                raise ValueError(
                    f"{source}: key '{name}' must hold {len(shapes)} arrays [W, b], "
                    f"found {len(pair)}."
                )
            arrays = []
            for label, shape, array in zip(("W", "b"), shapes, pair):
                array = np.asarray(array)
                if tuple(array.shape) != shape:
                    raise ValueError(
                        f"{source}: key '{name}' {label} has the wrong shape for {self.name}: "
                        f"expected {shape}, found {tuple(array.shape)}."
                    )
                arrays.append(array.astype("float32"))
            checked[name] = arrays
        for name, arrays in checked.items():
            self.get_layer(name).set_weights(arrays)
