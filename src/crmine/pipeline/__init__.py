"""The run as a declared graph of steps: ingest, run, evaluate; snapshots published atomically.

Submodules are imported where they are used (``crmine.pipeline.run``, ``.ingest``,
``.evaluate``, ``.snapshots``), so importing this package stays cheap.
"""
