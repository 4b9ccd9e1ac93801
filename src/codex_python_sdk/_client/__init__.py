"""Layer 4: the clients — options, launch plan, routing, the turn loop, server requests, async core, sync
facade.

Submodules are imported by path (``._async``, ``._sync`` ...) so that importing one piece (the options, on
the cold-start path) does not import the rest.
"""
