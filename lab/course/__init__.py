"""The course around the lessons: preflight, the static site, launch links, the learner's copies.

Behind ``scripts/preflight``, ``scripts/site``, ``scripts/lessons`` and Binder's ``start``.
"""
