"""Drawing: tables, timelines and colours, as functions from plain data to HTML and SVG.

The lowest layer of the lab. Nothing here knows what a run, a server or a worker
is: a timeline is drawn from a list of attempts (anything with a channel, an
attempt number, start and end times and an outcome), a table from rows. Every
layer above hands its data down here to be drawn.
"""
