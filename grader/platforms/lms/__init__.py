"""An LMS (Canvas, Moodle): the names its downloads give files, its gradebooks,
``grader export``."""
