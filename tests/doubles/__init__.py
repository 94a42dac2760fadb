"""Offline doubles for the e2e wiring: a Kubernetes API server double and stand-in executables.

They let the rehearsal run the real e2e suite, the real kubernetes client and the real cluster
layer without Docker: the API double speaks HTTP, the stand-ins are found first on PATH.
"""
