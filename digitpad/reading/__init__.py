"""From the 32×32 input to an answer: the recognizer, the verdict, and reading whole numbers."""
