"""``python -m crmine.cli``: the same as the ``crmine`` command."""

from crmine.cli import main

main()
