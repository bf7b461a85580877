"""The paper's network: its constants (Table I), the RBF prototypes, the LeNet-5 module and SDLM."""
