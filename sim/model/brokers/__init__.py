"""Broker kinds, by the scenario's ``broker.kind``."""

from sim.model.brokers.rabbitmq import QueueBroker

BROKERS = {"rabbitmq": QueueBroker}

__all__ = ["BROKERS", "QueueBroker"]
