"""What was submitted: which files a command names, and each read as a list of code cells."""
