"""Agent selection: the strategies (one table), the plain-Python reference, the Numba kernels
it is held to, batch matching and the explanation of a decision."""
