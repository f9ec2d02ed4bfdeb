"""The model as plain data (its architecture, read from Keras's config without Keras), saved model
files read as data, and the grader's own training of an architecture (imported by the fork server's
measurers too)."""
