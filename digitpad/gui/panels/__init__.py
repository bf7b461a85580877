"""The main window's panels: the input, the answer, F6 beside its prototypes, the feature maps, number mode's pieces."""
