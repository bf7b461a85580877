"""The Qt-free state the window observes: the drawing, and the network in use (its session)."""
