"""The message bus between stages: `Bus` protocol (base.py), in-process bus (memory.py).

Message value types live in messages.py; topic names in topics.py.
"""

from vigil.bus.base import Bus, Message, Subscription
from vigil.bus.memory import MemoryBus

__all__ = ["Bus", "MemoryBus", "Message", "Subscription"]
