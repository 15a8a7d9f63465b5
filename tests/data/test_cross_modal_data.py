"""Cross-modal loaders on tiny files written in the originals' layouts (spec §2.1, §4.4)."""

import os
import types

import h5py
import numpy as np
import pytest
import scipy.io

from keras_hashing.data import cross_modal
from keras_hashing.data.cross_modal import dadh_split_indices
from keras_hashing.data.cross_modal import djsrh_split_indices
from keras_hashing.data.cross_modal import load_dadh_mat


def write_dadh_mat(
    path, n=30, text_dim=6, keys=("images", "YAll", "LAll"), seed=0, drop=None, text_rows=None
):
    rng = np.random.default_rng(seed)
    contents = {
        keys[0]: rng.normal(3.0, 2.0, (n, 5)),
        keys[1]: (rng.random((text_rows or n, text_dim)) < 0.3) * 1.0,
        keys[2]: (rng.random((n, 4)) < 0.4) * 1.0,
    }
    if drop:
        contents.pop(drop)
    scipy.io.savemat(path, contents)
    return contents


def test_dadh_original_split_sizes():
    train, query, database = dadh_split_indices(20015, "mir")
    assert (len(train), len(query), len(database)) == (10000, 2000, 18015)
    assert query[0] == 18015 and train[-1] == 9999 and database[-1] == 18014
    train, query, database = dadh_split_indices(195834, "nus")
    assert (len(train), len(query), len(database)) == (10000, 2100, 193734)
    assert query[-1] == 2099 and train[0] == 2100 and train[-1] == 12099 and database[0] == 2100
    with pytest.raises(ValueError, match="too few"):
        dadh_split_indices(100, "mir")
    with pytest.raises(ValueError, match="flag"):
        dadh_split_indices(100, "coco")


def test_load_dadh_mat_splits_and_standardises_globally(tmp_path):
    path = os.path.join(tmp_path, "FLICKR-25K.mat")
    contents = write_dadh_mat(path)
    sizes = {"query_size": 5, "train_size": 12, "database_size": 25}
    data = load_dadh_mat(path, "mir", text_dim=6, split_sizes=sizes)
    images = contents["images"]
    standardised = (images - images.mean()) / images.std()
    np.testing.assert_allclose(data.query.images, standardised[25:], rtol=1e-5)
    np.testing.assert_allclose(data.train.images, standardised[:12], rtol=1e-5)
    np.testing.assert_array_equal(data.database.indices, np.arange(25))
    np.testing.assert_array_equal(data.train.texts, contents["YAll"][:12])  # text stays raw
    np.testing.assert_array_equal(data.query.labels, contents["LAll"][25:])
    assert data.text_dim == 6 and data.num_labels == 4
    # The folder form finds the original file name.
    assert len(load_dadh_mat(str(tmp_path), "mir", text_dim=None, split_sizes=sizes).train) == 12


def test_load_dadh_mat_nus_keys_and_split(tmp_path):
    path = os.path.join(tmp_path, "NUS-WIDE-TC21.mat")
    write_dadh_mat(path, keys=("image", "text", "label"))
    data = load_dadh_mat(
        path, "nus", text_dim=None, split_sizes={"query_size": 4, "train_size": 10}
    )
    np.testing.assert_array_equal(data.query.indices, np.arange(4))
    np.testing.assert_array_equal(data.train.indices, np.arange(4, 14))
    np.testing.assert_array_equal(data.database.indices, np.arange(4, 30))


def test_dadh_errors_name_the_file_and_the_problem(tmp_path):
    path = os.path.join(tmp_path, "broken.mat")
    write_dadh_mat(path, drop="YAll")
    with pytest.raises(ValueError, match=r"broken.mat: missing key\(s\) \['YAll'\]"):
        load_dadh_mat(path, "mir")
    write_dadh_mat(path, text_rows=29)
    with pytest.raises(ValueError, match="different row counts"):
        load_dadh_mat(path, "mir", text_dim=None)
    write_dadh_mat(path, text_dim=6)
    with pytest.raises(ValueError, match="dimension 6, expected 1386"):
        load_dadh_mat(path, "mir")
    with pytest.raises(ValueError, match="not found"):
        load_dadh_mat(os.path.join(tmp_path, "absent.mat"), "mir")


def original_per_label_split(labels, rng, first, later, top_up):
    """The original loop, with its list-membership tests, on a seeded generator."""
    for column in range(labels.shape[1]):
        index = np.where(labels[:, column] == 1)[0]
        index = index[rng.permutation(index.shape[0])]
        if column == 0:
            test_index, train_index = index[: first[0]], index[first[0] : first[0] + first[1]]
        else:
            ind = np.array(
                [i for i in list(index) if i not in (list(train_index) + list(test_index))],
                dtype=int,
            )
            test_index = np.concatenate((test_index, ind[: later[0]]))
            train_index = np.concatenate((train_index, ind[later[0] : later[0] + later[1]]))
    database_index = np.array([i for i in range(labels.shape[0]) if i not in list(test_index)])
    if top_up and train_index.shape[0] < top_up:
        pick = np.array([i for i in list(database_index) if i not in list(train_index)])
        pick = pick[rng.permutation(pick.shape[0])]
        train_index = np.concatenate((train_index, pick[: top_up - train_index.shape[0]]))
    return train_index, test_index, database_index


@pytest.mark.parametrize(
    "dataset,first,later,top_up",
    [("MIRFlickr", (160, 400), (80, 200), 5000), ("NUSWIDE", (200, 500), (200, 500), None)],
)
def test_djsrh_split_follows_the_original_rule(dataset, first, later, top_up):
    rng = np.random.default_rng(3)
    labels = (rng.random((6000, 5)) < 0.3).astype("float32")
    train, query, database = djsrh_split_indices(labels, dataset, seed=7)
    expected = original_per_label_split(labels, np.random.default_rng(7), first, later, top_up)
    for found, wanted in zip((train, query, database), expected):
        np.testing.assert_array_equal(found, wanted)
    assert not set(train) & set(query) and set(database) == set(range(6000)) - set(query)
    if top_up:
        assert len(train) == 5000
    again = djsrh_split_indices(labels, dataset, seed=7)
    np.testing.assert_array_equal(again[0], train)
    assert not np.array_equal(djsrh_split_indices(labels, dataset, seed=8)[1], query)


def write_mirflickr(directory, n=700, text_dim=9, image_size=(6, 5), image_rows=None):
    rng = np.random.default_rng(1)
    labels = (rng.random((n, 3)) < 0.5) * 1.0
    labels[labels.sum(1) == 0, 0] = 1
    texts = (rng.random((n, text_dim)) < 0.3) * 1.0
    scipy.io.savemat(os.path.join(directory, "mirflickr25k-lall.mat"), {"LAll": labels})
    scipy.io.savemat(os.path.join(directory, "mirflickr25k-yall.mat"), {"YAll": texts})
    height, width = image_size
    # MATLAB stores IAll as H x W x 3 x N; HDF5 (v7.3) holds it reversed: N x 3 x W x H.
    stored = rng.integers(0, 256, (image_rows or n, 3, width, height)).astype("uint8")
    with h5py.File(os.path.join(directory, "mirflickr25k-iall.mat"), "w") as handle:
        handle["IAll"] = stored
    return labels, texts, stored


def test_load_djsrh_mirflickr_reads_the_dcmh_layout(tmp_path):
    labels, texts, stored = write_mirflickr(str(tmp_path))
    data = cross_modal.load_djsrh_mirflickr(str(tmp_path), seed=0, text_dim=9)
    train, query, database = djsrh_split_indices(labels, "MIRFlickr", seed=0)
    np.testing.assert_array_equal(data.query.indices, query)
    np.testing.assert_array_equal(data.train.texts, texts[train])
    image = data.database.images[3]
    assert image.shape == (6, 5, 3) and image.dtype == np.uint8
    np.testing.assert_array_equal(image, np.transpose(stored[database[3]], (2, 1, 0)))
    with pytest.raises(ValueError, match="dimension 9, expected 1386"):
        cross_modal.load_djsrh_mirflickr(str(tmp_path))


def test_djsrh_mirflickr_errors(tmp_path):
    write_mirflickr(str(tmp_path), image_rows=690)
    with pytest.raises(ValueError, match="different row counts"):
        cross_modal.load_djsrh_mirflickr(str(tmp_path), text_dim=9)
    os.remove(os.path.join(tmp_path, "mirflickr25k-iall.mat"))
    with pytest.raises(ValueError, match="not found"):
        cross_modal.load_djsrh_mirflickr(str(tmp_path), text_dim=9)


def test_load_djsrh_nuswide_reads_text_through_h5py(tmp_path):
    rng = np.random.default_rng(2)
    n = 2500
    labels = np.zeros((n, 10))
    labels[np.arange(n), rng.integers(0, 10, n)] = 1
    texts = (rng.random((n, 4)) < 0.3) * 1.0
    scipy.io.savemat(os.path.join(tmp_path, "nus-wide-tc10-lall.mat"), {"LAll": labels})
    with h5py.File(os.path.join(tmp_path, "nus-wide-tc10-yall.mat"), "w") as handle:
        handle["YAll"] = texts.T  # v7.3: stored transposed
    data = cross_modal.load_djsrh_nuswide(str(tmp_path), seed=1, load_images=False, text_dim=4)
    train, query, _ = djsrh_split_indices(labels, "NUSWIDE", seed=1)
    np.testing.assert_array_equal(data.train.texts, texts[train])
    np.testing.assert_array_equal(data.query.labels, labels[query])


def test_load_djsrh_wiki_lists_and_images(tmp_path):
    import cv2

    rng = np.random.default_rng(4)
    directory = str(tmp_path)
    for part, count, key in (("trainset", 4, "T_tr"), ("testset", 2, "T_te")):
        with open(os.path.join(directory, f"{part}_txt_img_cat.list"), "w") as handle:
            for i in range(count):
                category = (i % 3) + 1
                name = f"{part}_{i}"
                handle.write(f"text_{i} {name} {category}\n")
                folder = os.path.join(
                    directory, "images", cross_modal.WIKI_CATEGORIES[category - 1]
                )
                os.makedirs(folder, exist_ok=True)
                image = np.zeros((8, 8, 3), np.uint8)
                image[..., 0] = 255  # blue in OpenCV's BGR
                cv2.imwrite(os.path.join(folder, f"{name}.jpg"), image)
    scipy.io.savemat(
        os.path.join(directory, "raw_features.mat"),
        {"T_tr": rng.random((4, 10)), "T_te": rng.random((2, 10))},
    )
    data = cross_modal.load_djsrh_wiki(directory)
    assert len(data.train) == 4 and len(data.query) == 2 and data.database is data.train
    np.testing.assert_array_equal(data.train.labels.argmax(1), [0, 1, 2, 0])
    image = data.query.images[1]
    assert (
        image.shape == (8, 8, 3) and image[..., 2].mean() > 200 and image[..., 0].mean() < 50
    )  # RGB
    with open(os.path.join(directory, "testset_txt_img_cat.list"), "a") as handle:
        handle.write("text_9 name_9 12\n")
    with pytest.raises(ValueError, match=r"testset_txt_img_cat.list:3: class 12"):
        cross_modal.load_djsrh_wiki(directory)


def fake_fashion_split():
    rng = np.random.default_rng(5)

    def images(n):
        return rng.integers(0, 256, (n, 28, 28)).astype("uint8")

    labels = np.eye(10, dtype="float32")
    return types.SimpleNamespace(
        train_images=images(6),
        train_labels=labels[:6],
        query_images=images(3),
        query_labels=labels[:3],
        database_images=images(8),
        database_labels=labels[:8],
    )


def test_two_view_fashion_mnist_halves():
    split = fake_fashion_split()
    data = cross_modal.two_view_fashion_mnist(split)
    assert data.train.images.shape == (6, 392) and data.train.texts.shape == (6, 392)
    np.testing.assert_allclose(
        data.query.images[1], split.query_images[1, :14].ravel() / 255.0, rtol=1e-6
    )
    np.testing.assert_allclose(
        data.query.texts[1], split.query_images[1, 14:].ravel() / 255.0, rtol=1e-6
    )
    np.testing.assert_array_equal(data.database.labels, split.database_labels)


@pytest.mark.tensorflow_only
def test_paired_dataset_batches_with_index_and_lazy_images(tmp_path):
    labels, texts, stored = write_mirflickr(str(tmp_path), n=700, image_size=(6, 5))
    data = cross_modal.load_djsrh_mirflickr(str(tmp_path), seed=0, text_dim=9)
    part = data.query
    batches = list(cross_modal.paired_dataset(part, 16, training=False, with_index=True))
    inputs, batch_labels = batches[0]
    assert inputs["image"].shape == (16, 6, 5, 3) and inputs["text"].shape == (16, 9)
    np.testing.assert_array_equal(inputs["index"].numpy(), np.arange(16))
    np.testing.assert_array_equal(inputs["image"].numpy()[2], part.images[2])
    np.testing.assert_array_equal(batch_labels.numpy(), part.labels[:16])
    assert sum(len(b[1]) for b in batches) == len(part)
    dropped = list(
        cross_modal.paired_dataset(
            part,
            16,
            training=True,
            shuffle_seed=1,
            drop_remainder=True,
            with_labels=False,
            modalities=("text",),
        )
    )
    assert all(len(b["text"]) == 16 for b in dropped) and "image" not in dropped[0]
    transformed = next(
        iter(
            cross_modal.paired_dataset(
                part,
                2,
                training=False,
                modalities=("image",),
                with_labels=False,
                image_transform=lambda x, training: cross_modal.imagenet_transform(x, training),
            )
        )
    )
    assert transformed["image"].shape == (2, 224, 224, 3)
    with pytest.raises(ValueError, match="modalities"):
        cross_modal.paired_dataset(part, 4, training=False, modalities=("audio",))
