"""Worker processes on a real server, and breaking them: kills (lesson 4), server crashes (lesson 5).

``cluster.Cluster`` starts a server and worker processes (``worker``, supervised by
``pool``) and kills them mid-run; ``crash.ServerCrash`` kills and restarts the server
itself; ``cluster08`` does lesson 8's kill on the server v0.9.8.
"""
