"""Gradescope: the autograder zip, and the results.json of one submission."""
