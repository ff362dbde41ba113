"""The simulated parts of the system, one module each: clients, web, brokers, workers, retry,
downstream, faults; ``system`` wires them together."""
