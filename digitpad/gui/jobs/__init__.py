"""Work off the GUI thread: the one Worker/BackgroundJob pattern and the jobs built on it."""
