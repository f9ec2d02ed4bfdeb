"""Where grading is delivered: student packs, Gradescope, GitHub Classroom, an LMS's gradebook."""
