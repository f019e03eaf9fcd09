"""The pure routing core: records, the agent table, the state and its invariants, the queue
policies, channels, customers, fairness, transfers, validation, decisions, the decide → evolve
loop (``core``), read-only views, the state digest, the snapshot codec and ``routing/`` (the
selection strategies, their plain-Python reference, the Numba kernels, batch matching, explain).

Nothing here reads a clock, a random source, the file system or the environment: time arrives
as ``at`` and randomness as a seed. The façade an application holds is :class:`ccrouter.Router`.
"""
