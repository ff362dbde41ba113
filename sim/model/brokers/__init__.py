"""Broker kinds, by the scenario's ``broker.kind``; each implements ``base.Broker``."""

from sim.model.brokers.base import Broker, Consumer
from sim.model.brokers.kafka import KafkaBroker
from sim.model.brokers.rabbitmq import QueueBroker, RabbitMQBroker
from sim.model.brokers.redis import RedisBroker

BROKERS: dict[str, type[Broker]] = {"rabbitmq": RabbitMQBroker, "redis": RedisBroker,
                                    "kafka": KafkaBroker}

__all__ = ["BROKERS", "Broker", "Consumer", "KafkaBroker", "QueueBroker", "RabbitMQBroker",
           "RedisBroker"]
