"""Readers, column auto-mapping and SQL value parsers for source files."""
