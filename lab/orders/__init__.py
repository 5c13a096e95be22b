"""Running and observing one order: the lab instance, a run, the send ledger, faults, output.

``runtime.Lab`` (``sdk08.Lab08`` in lesson 8's kernel) submits the production
workflow; ``observe`` watches every channel attempt from the outside and files it in
the SQLite ``ledger``; ``run.Run`` is one order's result, attempts and output, and
``live`` draws it while it runs. ``embedded_store`` closes the two races of the SDK's
embedded store. Below the checks, the clusters and the lessons; above the servers.
"""
