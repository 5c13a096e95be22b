"""The lessons' own material: lesson 1's sequential workflow, and the exercises.

Each exercise is a folder, ``exercises/<name>/``: ``README.md`` (the task and
what the check measures), ``practice.py`` (where you start; the lesson shows
the same code in a cell for you to edit) and ``solution.py``. The checks live
in ``lab.exercises``: they run your code for real and read the verdict off the
run — timeline, durable promises, send ledger.
"""
