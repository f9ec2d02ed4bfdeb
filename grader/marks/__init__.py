"""What happens to marks after grading: overrides, late penalties, the final score, similarity."""
