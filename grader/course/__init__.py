"""Defining, locating, compiling and extending an assignment: the course's side, and the
instructors' check API."""
