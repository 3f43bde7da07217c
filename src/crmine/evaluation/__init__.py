"""Time-split backtests and metrics: train before a cutoff, score the horizon after it."""
