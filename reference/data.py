"""Datasets as the lectures load them: ``keras.datasets.<name>.load_data()``, scaled to [0, 1], one-hot labels."""

from typing import NamedTuple

import keras
import numpy as np


class Data(NamedTuple):
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def prepare(images: np.ndarray, labels: np.ndarray, shape: tuple[int, ...], num_classes: int) -> tuple[np.ndarray, np.ndarray]:
    x = images.reshape((len(images), *shape)).astype("float32") / 255
    y = keras.utils.to_categorical(labels, num_classes)
    return x, y


def load_mnist(shape: tuple[int, ...], num_classes: int) -> Data:
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    return Data(*prepare(x_train, y_train, shape, num_classes), *prepare(x_test, y_test, shape, num_classes))


def load_cifar10(shape: tuple[int, ...], num_classes: int) -> Data:
    (x_train, y_train), (x_test, y_test) = keras.datasets.cifar10.load_data()
    return Data(*prepare(x_train, y_train, shape, num_classes), *prepare(x_test, y_test, shape, num_classes))
