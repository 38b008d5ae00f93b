"""The message bus between stages: `Bus` protocol (base.py), in-process bus (memory.py).

The values it carries are the domain types of vigil/model; topic names are in topics.py.
"""

from vigil.bus.base import Bus, Message, Subscription
from vigil.bus.memory import MemoryBus

__all__ = ["Bus", "MemoryBus", "Message", "Subscription"]
