"""Helpers for particular lessons: a lesson cell's small functions, deadlines, today's SDK, scaling."""
