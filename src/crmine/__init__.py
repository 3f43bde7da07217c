"""crmine: customer intelligence from CRM data."""

__version__ = "0.1.0"
