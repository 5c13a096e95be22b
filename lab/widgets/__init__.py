"""The lessons' control panels: widgets that start, kill and crash runs while the learner watches.

The top layer: a panel may use anything below it, nothing imports a panel but a lesson.
"""
