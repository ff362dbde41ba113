"""Broker kinds, by the scenario's ``broker.kind``."""

from sim.model.brokers.kafka import KafkaBroker
from sim.model.brokers.rabbitmq import QueueBroker
from sim.model.brokers.redis import RedisBroker

BROKERS = {"rabbitmq": QueueBroker, "redis": RedisBroker, "kafka": KafkaBroker}

__all__ = ["BROKERS", "KafkaBroker", "QueueBroker", "RedisBroker"]
