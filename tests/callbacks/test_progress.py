"""IterationProgress: one bar over the optimiser's updates."""

import pytest

from keras_hashing.callbacks import IterationProgress
from keras_hashing.models import DCH
from keras_hashing.optimizers import deephash_optimizer
from tests.models import quantizer_helpers


def test_one_bar_over_all_iterations(capsys):
    model = DCH(quantizer_helpers.backbone(), code_length=8)
    model.compile(optimizer=deephash_optimizer(0.01, 100, 0.5))
    images, labels = quantizer_helpers.tiny_data(n=16)
    model.fit(
        images, labels, batch_size=4, epochs=3, verbose=0, callbacks=[IterationProgress(12, 4)]
    )
    out = capsys.readouterr().out
    assert "12/12" in out and "loss" in out
    assert "Epoch" not in out


def test_config_and_validation():
    callback = IterationProgress(50, every=5)
    assert IterationProgress.from_config(callback.get_config()).get_config() == {
        "total_steps": 50,
        "every": 5,
    }
    for bad in ({"total_steps": 0}, {"total_steps": 5, "every": 0}):
        with pytest.raises(ValueError):
            IterationProgress(**bad)
