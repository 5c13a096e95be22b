"""Resonate servers and the processes the lab starts: both server versions, their API, lifetimes.

``legacy`` runs the legacy server v0.7.25 (what resonate-sdk 0.6 speaks), ``v09`` the
server v0.9.8 (lesson 8), ``inspector`` reads an order's promises over a server's HTTP
API, and ``processes`` and ``reaper`` make sure no child outlives its kernel. Imports
nothing of the lab above ``lab.draw``.
"""
