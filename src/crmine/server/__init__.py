"""``crmine serve``: the REST API over the current snapshot (FastAPI), with tokens and roles.

:func:`crmine.server.app.create_app` builds the application; :mod:`crmine.privacy.access` holds tokens and
the audit log; :mod:`.snapshot` reads whichever snapshot is current, switching between
requests when a run publishes.
"""
