"""Starter notebooks for students, in Japanese and English, generated from one description.

A starter is the exercise's notebook with the student's parts left open: each is marked
``# TODO`` and holds a runnable placeholder (an incomplete model, a missing argument, an
empty cell), so the starter runs from top to bottom and the grader scores only what is
given.  Both languages share the code; only the text and the TODO comments differ.
``python -m reference.starters`` writes ``assignments/<name>/starter_<lang>.ipynb``; a
test checks those files are current.
"""

import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from reference.notebooks import ASSIGNMENTS, assemble, show, write
LANGUAGES = ("ja", "en")
TODO = re.compile(r"# TODO\[(\w+)\]")


@dataclass(frozen=True)
class Text:
    en: str
    ja: str


@dataclass(frozen=True)
class Starter:
    title: Text
    intro: Text
    # Markdown (Text) and code cells; code marks each open part with ``# TODO[key]``.
    cells: tuple[Text | str, ...]
    todos: dict[str, Text]


IMPORTS = "import keras\nimport matplotlib.pyplot as plt\nimport numpy as np"
EVALUATE = 'loss, accuracy = model.evaluate(x_test, y_test, verbose=0)\nprint(f"test accuracy: {accuracy:.4f}")'
CURVES = """for metric in ("loss", "accuracy"):
    plt.figure()
    for key in (metric, f"val_{metric}"):
        if key in history.history:
            plt.plot(history.history[key], marker=".", label=key)
    plt.xlabel("epoch")
    plt.ylabel(metric)
    plt.legend()
    plt.show()"""
ONE_HOT = "y_train = keras.utils.to_categorical(y_train, 10)\ny_test = keras.utils.to_categorical(y_test, 10)"
GRADE = Text(
    "Check your work at any time with `pytest --assignment={name}` in this folder.",
    "このフォルダで `pytest --assignment={name}` を実行すると、いつでも採点結果を確認できます。",
)

# Load MNIST, prepare it (TODO), a placeholder model (TODO), compile, fit (TODO), evaluate:
# the MNIST starters share these cells and differ in their texts.
MNIST_CELLS: tuple[Text | str, ...] = (
    IMPORTS,
    '(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()\nprint(x_train.shape, x_train.dtype, y_train.shape)',
    Text("## 1. Prepare the data", "## 1. データの準備"),
    f"# TODO[prepare]\n\n{ONE_HOT}\nprint(x_train.shape, x_train.dtype, y_train.shape)",
    Text("## 2. The model", "## 2. モデル"),
    'model = keras.Sequential([\n    keras.Input(shape=x_train.shape[1:]),\n    keras.layers.Flatten(),  # TODO[layers]\n'
    '    keras.layers.Dense(10, activation="softmax"),\n])\nmodel.summary()',
    'model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])',
    Text("## 3. Training", "## 3. 学習"),
    "# TODO[fit]\nhistory = model.fit(x_train, y_train, epochs=1, validation_data=(x_test, y_test))",
    EVALUATE,
)


def mnist_todos(shaping: Text, shape: str, layers: Text, epochs: int, batch_size: int) -> dict[str, Text]:
    """The TODOs of ``MNIST_CELLS``: how to shape the images, which layers, how long to train."""
    return {
        "prepare": Text(f"{shaping.en} x_train and x_test to {shape}, convert them to float32 and scale them to [0, 1]",
                        f"x_train と x_test を {shape} に{shaping.ja}し、float32 に変換して [0, 1] にスケーリングする"),
        "layers": layers,
        "fit": Text(f"train for {epochs} epochs in batches of {batch_size}", f"バッチサイズ {batch_size} で {epochs} エポック学習させる"),
    }


WEEK8 = Starter(
    title=Text("Week 8: a CNN on MNIST", "第8回: MNIST の CNN"),
    intro=Text(
        "Prepare MNIST for a convolutional network, build the lecture's CNN (Conv2D 64 and 128 with max pooling, "
        "dropout 0.5, Dense 128, dropout 0.25, softmax; 665,738 parameters), train it with Adam for 20 epochs "
        "in batches of 128 while validating on the test set, and plot the learning curves. The lecture reaches 0.993. "
        "The parts marked `TODO` are yours.",
        "MNIST を畳み込みネットワーク用に準備し、講義の CNN（Conv2D 64 と 128 と最大プーリング、ドロップアウト 0.5、"
        "Dense 128、ドロップアウト 0.25、softmax。パラメータ 665,738 個）を作り、Adam でバッチサイズ 128、"
        "20 エポック、テストセットで検証しながら学習させ、学習曲線を描きます。講義の精度は 0.993 です。"
        "`TODO` の部分を完成させてください。",
    ),
    cells=(*MNIST_CELLS, Text("## 4. Learning curves", "## 4. 学習曲線"), CURVES),
    todos=mnist_todos(
        Text("reshape", "変形"), "(N, 28, 28, 1)",
        Text("replace this line by the lecture's layers: Conv2D(64, (3, 3), padding='same', relu), MaxPooling2D(2), "
             "Conv2D(128, (3, 3), relu), MaxPooling2D(2), Dropout(0.5), Flatten, Dense(128, relu), Dropout(0.25)",
             "この行を講義の層に置き換える：Conv2D(64, (3, 3), padding='same', relu)、MaxPooling2D(2)、"
             "Conv2D(128, (3, 3), relu)、MaxPooling2D(2)、Dropout(0.5)、Flatten、Dense(128, relu)、Dropout(0.25)"),
        epochs=20, batch_size=128,
    ),
)

MLP = Starter(
    title=Text("A multilayer perceptron on MNIST", "MNIST の多層パーセプトロン"),
    intro=Text(
        "Build the 784-500-250-100-10 network (ReLU, then softmax; 543,860 parameters) and train it with Adam "
        "for 10 epochs in batches of 1000, validating on the test set. The lecture reaches 0.98. "
        "The parts marked `TODO` are yours.",
        "784-500-250-100-10 のネットワーク（ReLU、出力は softmax、パラメータ 543,860 個）を作り、Adam で "
        "バッチサイズ 1000、10 エポック学習させ、テストセットで検証します。講義の精度は 0.98 です。"
        "`TODO` の部分を完成させてください。",
    ),
    cells=(*MNIST_CELLS, CURVES),
    todos=mnist_todos(
        Text("flatten", "平坦化"), "(N, 784)",
        Text("replace this line by the hidden layers Dense(500), Dense(250), Dense(100) with ReLU",
             "この行を ReLU の隠れ層 Dense(500)、Dense(250)、Dense(100) に置き換える"),
        epochs=10, batch_size=1000,
    ),
)

MNIST_CNN = Starter(
    title=Text("Keras's classic CNN on MNIST, with its filters and feature maps", "Keras の古典的な MNIST CNN とフィルタ・特徴マップの可視化"),
    intro=Text(
        "Keras's `mnist_cnn` example used `Adadelta` at learning rate 1.0, the default of old Keras. "
        "Train it for 20 epochs in batches of 128, holding out 10 % of the training set for validation, "
        "save the learning curve as `learning_curve.png`, then draw the filters of both convolutions "
        "(weights (3, 3, 1, 32) and (3, 3, 32, 64)) and the feature maps of one test image "
        "(26x26, 24x24 and 12x12) through an intermediate model. The parts marked `TODO` are yours.",
        "Keras の `mnist_cnn` の例は、古い Keras のデフォルトである学習率 1.0 の `Adadelta` を使っていました。"
        "バッチサイズ 128 で 20 エポック学習させ、訓練データの 10 % を検証に使い、学習曲線を "
        "`learning_curve.png` に保存してから、2 つの畳み込み層のフィルタ（重み (3, 3, 1, 32) と (3, 3, 32, 64)）と、"
        "中間モデルを通したテスト画像 1 枚の特徴マップ（26x26、24x24、12x12）を描いてください。"
        "`TODO` の部分を完成させてください。",
    ),
    cells=(
        IMPORTS,
        "(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()\n"
        'x_train = x_train.reshape(-1, 28, 28, 1).astype("float32") / 255\n'
        'x_test = x_test.reshape(-1, 28, 28, 1).astype("float32") / 255\n' + ONE_HOT,
        "model = keras.Sequential([\n    keras.Input(shape=(28, 28, 1)),\n"
        '    keras.layers.Conv2D(32, (3, 3), activation="relu"),\n    keras.layers.Conv2D(64, (3, 3), activation="relu"),\n'
        "    keras.layers.MaxPooling2D(2),\n    keras.layers.Dropout(0.25),\n    keras.layers.Flatten(),\n"
        '    keras.layers.Dense(128, activation="relu"),\n    keras.layers.Dropout(0.5),\n'
        '    keras.layers.Dense(10, activation="softmax"),\n])\nmodel.summary()',
        Text("## 1. Compile and train", "## 1. コンパイルと学習"),
        '# TODO[optimizer]\nmodel.compile(loss="categorical_crossentropy", optimizer="adadelta", metrics=["accuracy"])',
        "# TODO[fit]\nhistory = model.fit(x_train, y_train, batch_size=128, epochs=1)",
        EVALUATE,
        Text("## 2. Learning curves", "## 2. 学習曲線"),
        CURVES,
        "# TODO[save]",
        Text("## 3. Filters and feature maps", "## 3. フィルタと特徴マップ"),
        "# TODO[filters]",
        "# TODO[maps]",
    ),
    todos={
        "optimizer": Text("use keras.optimizers.Adadelta with the learning rate of the original example (1.0)",
                          "元の例と同じ学習率（1.0）の keras.optimizers.Adadelta を使う"),
        "fit": Text("train for 20 epochs and hold out 10 % of the training data for validation (validation_split)",
                    "20 エポック学習させ、訓練データの 10 % を検証に使う（validation_split）"),
        "save": Text("plot the loss curves again and save the figure as learning_curve.png (savefig before plt.show())",
                     "損失の曲線をもう一度描き、learning_curve.png に保存する（plt.show() の前に savefig）"),
        "filters": Text("draw all filters of both Conv2D layers from get_weights(): w[:, :, 0, k] for each filter k",
                        "get_weights() で取り出した 2 つの Conv2D 層のすべてのフィルタを描く：各フィルタ k について w[:, :, 0, k]"),
        "maps": Text("build keras.Model(inputs=model.inputs, outputs=[...]) over the Conv2D and MaxPooling2D layers, "
                     "predict x_test[:1] and draw every channel of each map",
                     "Conv2D と MaxPooling2D の出力を outputs にした keras.Model(inputs=model.inputs, outputs=[...]) を作り、"
                     "x_test[:1] を predict して、各特徴マップのすべてのチャンネルを描く"),
    },
)

CIFAR10 = Starter(
    title=Text("A CNN on CIFAR-10 that names what it sees", "CIFAR-10 の CNN で画像のクラス名を当てる"),
    intro=Text(
        "Two blocks of two 3x3 convolutions (32, then 64 filters, padding 'same') each followed by 2x2 max pooling "
        "take the 32x32x3 images down to (8, 8, 64); then Flatten, Dense 512 (ReLU) and Dense 10 (softmax). "
        "Train with Adam for 5 epochs in batches of 32, holding out 20 % of the training set for validation, "
        "then predict the first test images and print their class names. The parts marked `TODO` are yours.",
        "3x3 の畳み込み 2 つ（フィルタ 32、次のブロックは 64、padding='same'）と 2x2 の最大プーリングからなるブロックを "
        "2 つ重ねて 32x32x3 の画像を (8, 8, 64) にし、Flatten、Dense 512（ReLU）、Dense 10（softmax）につなげます。"
        "Adam でバッチサイズ 32、5 エポック学習させ、訓練データの 20 % を検証に使い、最初のテスト画像を予測して"
        "クラス名を表示してください。`TODO` の部分を完成させてください。",
    ),
    cells=(
        IMPORTS,
        'CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")\n'
        "(x_train, y_train), (x_test, y_test) = keras.datasets.cifar10.load_data()\n"
        'x_train = x_train.astype("float32") / 255\nx_test = x_test.astype("float32") / 255\n' + ONE_HOT,
        Text("## 1. The model", "## 1. モデル"),
        "model = keras.Sequential([\n    keras.Input(shape=(32, 32, 3)),\n    # TODO[convolutions]\n"
        "    keras.layers.Flatten(),\n    # TODO[dense]\n"
        '    keras.layers.Dense(10, activation="softmax"),\n])\nmodel.summary()',
        'model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])',
        Text("## 2. Training", "## 2. 学習"),
        "# TODO[fit]\nhistory = model.fit(x_train, y_train, epochs=1)",
        EVALUATE,
        CURVES,
        Text("## 3. Name the classes", "## 3. クラス名を当てる"),
        "# TODO[predict]",
    ),
    todos={
        "convolutions": Text("two blocks: Conv2D, Conv2D (3x3, padding='same', ReLU; 32 then 64 filters), MaxPooling2D(2)",
                             "2 つのブロック：Conv2D、Conv2D（3x3、padding='same'、ReLU、フィルタ 32 の次は 64）、MaxPooling2D(2)"),
        "dense": Text("a Dense layer of 512 units with ReLU", "ユニット 512 個、ReLU の Dense 層"),
        "fit": Text("batches of 32, 5 epochs, 20 % of the training data for validation (validation_split)",
                    "バッチサイズ 32、5 エポック、訓練データの 20 % を検証に使う（validation_split）"),
        "predict": Text("predict x_test[:10], take np.argmax(..., axis=1) and print the CLASS_NAMES of the predictions",
                        "x_test[:10] を predict し、np.argmax(..., axis=1) を取って、予測の CLASS_NAMES を表示する"),
    },
)

STARTERS: dict[str, Starter] = {"week8": WEEK8, "mlp": MLP, "mnist-cnn": MNIST_CNN, "cifar10": CIFAR10}


def _code(source: str, todos: dict[str, Text], lang: str) -> str:
    return TODO.sub(lambda m: f"# TODO: {getattr(todos[m.group(1)], lang)}", source)


def build_starter(name: str, lang: str) -> nbformat.NotebookNode:
    starter = STARTERS[name]
    header = f"# {getattr(starter.title, lang)}\n\n{getattr(starter.intro, lang)}\n\n{getattr(GRADE, lang).format(name=name)}"
    cells = [nbformat.v4.new_markdown_cell(header)]
    for cell in starter.cells:
        if isinstance(cell, Text):
            cells.append(nbformat.v4.new_markdown_cell(getattr(cell, lang)))
        else:
            cells.append(nbformat.v4.new_code_cell(_code(cell, starter.todos, lang)))
    return assemble(cells, f"{name}-starter")


def starter_path(name: str, lang: str) -> Path:
    return ASSIGNMENTS / name / f"starter_{lang}.ipynb"


def write_all() -> list[Path]:
    return write((starter_path(name, lang), build_starter(name, lang)) for name in STARTERS for lang in LANGUAGES)


if __name__ == "__main__":
    show(write_all())
