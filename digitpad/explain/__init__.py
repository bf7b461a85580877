"""Looking inside: attribution, invariance sweeps, unit traces, and their pictures."""
