"""The `digitpad` command line: one package, one error convention (errors.DigitpadError -> one line)."""
