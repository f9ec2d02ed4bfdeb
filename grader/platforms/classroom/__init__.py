"""GitHub Classroom: the autograding workflow, and the result of one submission."""
