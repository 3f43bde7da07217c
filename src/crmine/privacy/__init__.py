"""Personal data: what crmine holds about one customer (access requests), and audit."""
