"""Fixtures of the recipes' cached-trunk (CPU path) tests."""

import functools

import pytest

from keras_hashing.recipes import cached_trunk
from tests.fake_data import write_png_list_dataset
from tests.recipes.small_trunk import SIZE


@pytest.fixture
def small_trunk(monkeypatch):
    """The recipes' trunk on SIZE-px crops (there is no image-size setting: the variant's)."""
    monkeypatch.setattr(
        cached_trunk,
        "efficientnet_lite_trunk",
        functools.partial(cached_trunk.efficientnet_lite_trunk, image_size=SIZE),
    )


@pytest.fixture
def lists(tmp_path):
    """`<tmp>/data/cifar10/{train,test,database}.txt`: 8 / 4 / 6 PNGs of 3 classes; returns
    `<tmp>/data`, the data folder the recipes take."""
    write_png_list_dataset(str(tmp_path / "data" / "cifar10"))
    return str(tmp_path / "data")
