"""An RTSP DVR simulator that behaves like the site's CP PLUS DVR (8 x 960x1080 H.264 25 fps).

It loops footage encoded once (`content`), packetised per RFC 6184 (`rtp`), served live (`server`).
"""

from vigil.dvr.simulator.background import BackgroundSimulator
from vigil.dvr.simulator.live import SimulatorStats
from vigil.dvr.simulator.server import DvrSimulator, SimulatorError, run_simulator
from vigil.dvr.simulator.session import ServerLimits

__all__ = [
    "BackgroundSimulator",
    "DvrSimulator",
    "ServerLimits",
    "SimulatorError",
    "SimulatorStats",
    "run_simulator",
]
