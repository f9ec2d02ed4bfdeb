# ${name}: what is the instructor's to choose.  What a correct solution *is* (shapes,
# layers, settings) comes from the reference module below; see docs/authoring.md.
dataset = "mnist"                      # mnist, fashion_mnist or cifar10 (served offline)
reference = "reference.${module}"

[title]
en = "${name}: a dense network on MNIST"
ja = "${name}: MNIST の全結合ネットワーク"

# What the student's notebook may use; beyond these it is stopped and graded as far as it ran.
[limits]
cell_timeout_s = 120
total_timeout_s = 300
memory_mb = 4000
output_kb = 256

# The student's own fit keeps their epochs and batch size but sees at most this many samples,
# so a 20-epoch notebook grades in seconds.
[budget]
fit_samples = 256
validation_samples = 256
evaluate_samples = 1000
max_epochs = 20

# The grader trains the student's architecture itself (fixed seed) on `samples` training
# images for `epochs` and evaluates it on the whole test set.  Calibrate `threshold` by
# grading the solution: put it safely below the accuracy the reference reaches here.
[measure]
samples = 4000
epochs = 2
threshold = 0.85
reference_accuracy = 0.92
seed = 0

# Built-in checks and their points (`grader list` shows assignments; the ids are in
# grader/checks/*.py).  Checks written as pytest tests (test_*.py here) add their own
# points with @pytest.mark.points(n).
[points]
"run.cells" = 1
"data.x_shape" = 1
"data.x_dtype" = 1
"data.x_range" = 1
"data.y_onehot" = 1
"model.layers" = 2
"model.params" = 1
"compile.loss" = 1
"compile.optimizer" = 1
"fit.batch_size" = 1
"fit.epochs" = 1
"fit.validation" = 1
"results.accuracy" = 3
