"""Lecture-style figures: training vs validation curves per epoch, and grids of small images."""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure


def plot_curve(history: dict[str, list[float]], metric: str) -> Figure:
    figure, axes = plt.subplots()
    epochs = range(1, len(history[metric]) + 1)
    axes.plot(epochs, history[metric], marker=".", label=metric)
    axes.plot(epochs, history[f"val_{metric}"], marker=".", label=f"val_{metric}")
    axes.set_xlabel("epoch")
    axes.set_ylabel(metric)
    axes.grid(True)
    axes.legend()
    return figure


def plot_history(history: dict[str, list[float]]) -> tuple[Figure, Figure]:
    return plot_curve(history, "loss"), plot_curve(history, "accuracy")


def plot_grid(images: np.ndarray, title: str, columns: int = 8) -> Figure:
    rows = -(-len(images) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(columns, rows), squeeze=False)
    for index, ax in enumerate(axes.flat):
        if index < len(images):
            ax.imshow(images[index], cmap="gray")
        ax.axis("off")
    figure.suptitle(title)
    return figure
