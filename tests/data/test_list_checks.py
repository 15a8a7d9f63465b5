"""List-file datasets: truncated images found when the list is read, `on_error="skip"` on every
list with counts that match, and label widths checked across the lists."""

import os

import numpy as np
import pytest

from keras_hashing.data import ImageListDataset
from keras_hashing.data.registry import load_retrieval_data
from tests.fake_data import write_png_list_dataset

pytestmark = pytest.mark.tensorflow_only


def _truncate(path):
    data = open(path, "rb").read()
    with open(path, "wb") as handle:
        handle.write(data[: len(data) // 2])


def test_truncated_png_is_found_when_the_list_is_read(tmp_path):
    root = write_png_list_dataset(str(tmp_path))
    _truncate(os.path.join(root, "images", "train_3.png"))
    with pytest.raises(ValueError, match=r"train\.txt, line 4: image .*train_3\.png is truncated"):
        ImageListDataset(os.path.join(root, "train.txt"))
    kept = ImageListDataset(os.path.join(root, "train.txt"), on_error="skip")
    assert len(kept) == 7 and kept.skipped[0][1] == 4


def test_truncated_jpeg_is_found_when_the_list_is_read(tmp_path):
    import cv2

    image = np.random.default_rng(0).integers(0, 255, (40, 40, 3)).astype(np.uint8)
    cv2.imwrite(str(tmp_path / "a.jpg"), image)
    cv2.imwrite(str(tmp_path / "b.jpg"), image)
    _truncate(str(tmp_path / "b.jpg"))
    (tmp_path / "list.txt").write_text("a.jpg 1 0\nb.jpg 0 1\n")
    with pytest.raises(ValueError, match=r"line 2: image .*b\.jpg is truncated"):
        ImageListDataset(str(tmp_path / "list.txt"))


def test_skip_covers_query_and_database_lists_and_the_counts(tmp_path):
    root = write_png_list_dataset(str(tmp_path / "toy"))
    for name in ("train_0.png", "test_1.png", "database_2.png", "database_5.png"):
        os.remove(os.path.join(root, "images", name))
    with pytest.raises(ValueError, match="does not exist"):
        load_retrieval_data("toy", data_dir=str(tmp_path), batch_size=2, val_batch_size=2)
    data = load_retrieval_data(
        "toy", data_dir=str(tmp_path), batch_size=2, val_batch_size=2, on_error="skip"
    )
    assert data.num_train == 7
    assert len(data.query_labels) == 3 and len(data.database_labels) == 4
    assert sum(len(batch) for batch in data.query) == 3
    assert sum(len(batch) for batch in data.database) == 4
    assert data.top_k == 4
    with pytest.warns(DeprecationWarning, match="RetrievalData.R is deprecated; use `top_k`"):
        assert data.R == 4  # the former name, kept as a read-only alias


def test_lists_with_different_label_widths_are_refused(tmp_path):
    root = write_png_list_dataset(str(tmp_path / "toy"))
    lines = open(os.path.join(root, "database.txt")).read().splitlines()
    with open(os.path.join(root, "database.txt"), "w") as handle:
        handle.write("\n".join(line + " 0" for line in lines) + "\n")
    with pytest.raises(ValueError, match=r"train\.txt: 3, .*database\.txt: 4"):
        load_retrieval_data("toy", data_dir=str(tmp_path), batch_size=2, val_batch_size=2)


def test_lists_directly_in_data_dir(tmp_path):
    write_png_list_dataset(str(tmp_path))
    data = load_retrieval_data("toy", data_dir=str(tmp_path), batch_size=2, val_batch_size=2)
    assert data.num_train == 8 and len(data.database_labels) == 6
