"""The room: one machine's JupyterHub for a workshop, every learner a Unix user of their own.

``scripts/room`` installs the course once, read-only (``install``), and starts a
JupyterHub behind configurable-http-proxy (``hub_config``). A learner signs in with
a name and the room's code (``auth``); on first sign-in the spawner creates their
Unix user (``users``) and starts their own Jupyter server on their own copies of the
lessons (``spawner``, ``singleuser``). Each learner's Resonate servers ask for that
learner's own password, so no other learner can read or resolve their promises.
"""
