"""The command line's exit codes: 0 whenever grading worked, whatever the scores."""

EXIT_OK, EXIT_GRADER_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
