"""The lessons' own material: lesson 1's sequential workflow, and the exercises.

Each exercise is a folder, ``exercises/<name>/``: ``README.md`` (the task and
what the check measures), ``practice.py`` (where you start; the lesson shows
the same code in a cell for you to edit), ``solution.py`` and ``check.py`` (the
scenario and the judgement, on ``lab.checks.verdicts``). The checks run your code for
real and judge what happened.
"""
