"""The flow: configuration, assembly of the run's states, state machine and alarms.

Imports go downward only: the facade (``pattern``) above this package, the features
(pagination, transport, fan-out, concurrency, starts, sinks) below it, the contract and value
types below them (checked by import-linter, see ``pyproject.toml``).
"""
