"""The gateway's vocabulary: registries, unit classes, serial blocks, transfers, errors.

Pure on purpose: no I/O and no framework, so every other package can lean on it
and the rules here can be tested in microseconds.
"""
