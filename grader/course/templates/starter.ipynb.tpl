{
 "cells": [
  {
   "cell_type": "markdown",
   "id": "starter-00",
   "metadata": {},
   "source": [
    "# ${name}\n",
    "\n",
    "Train a dense network on MNIST: 784 → Dense(128, relu) → Dense(10, softmax).\n",
    "\n",
    "MNIST を全結合ネットワークで学習させます。`TODO` のセルを埋めてください。"
   ]
  },
  {
   "cell_type": "code",
   "execution_count": null,
   "id": "starter-01",
   "metadata": {},
   "outputs": [],
   "source": [
    "import keras\n",
    "from keras.datasets import mnist\n",
    "from keras.utils import to_categorical"
   ]
  },
  {
   "cell_type": "code",
   "execution_count": null,
   "id": "starter-02",
   "metadata": {},
   "outputs": [],
   "source": [
    "(x_train, y_train), (x_test, y_test) = mnist.load_data()\n",
    "# TODO: flatten the images to (N, 784), scale them to [0, 1] as float32, one-hot encode the labels\n"
   ]
  },
  {
   "cell_type": "code",
   "execution_count": null,
   "id": "starter-03",
   "metadata": {},
   "outputs": [],
   "source": [
    "# TODO: build `model`, compile it (categorical_crossentropy, adam, metrics=['accuracy'])\n"
   ]
  },
  {
   "cell_type": "code",
   "execution_count": null,
   "id": "starter-04",
   "metadata": {},
   "outputs": [],
   "source": [
    "# TODO: history = model.fit(x_train, y_train, batch_size=128, epochs=5, validation_data=(x_test, y_test))\n"
   ]
  }
 ],
 "metadata": {
  "kernelspec": {
   "display_name": "Python 3",
   "language": "python",
   "name": "python3"
  }
 },
 "nbformat": 4,
 "nbformat_minor": 5
}