"""Model families: pure computation, arrays or frames in, fitted models and scores out."""
