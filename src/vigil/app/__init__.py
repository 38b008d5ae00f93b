"""The composition root: where Vigil's parts are put together and started.

runtime.py holds the table of stages (`STAGES`, in start order) and which roles run them
(`ROLES`: all, edge, hub, and the worker roles analytics, notify, inference); `Vigil` starts a
role's stages in order and stops them in reverse. stages.py builds the stages a worker can run
alone, cameras.py the cameras stage (in process or an ingest pool), wiring.py the API's
services (also used by tests and benchmarks), workers.py a worker's health server and cluster
checks, demo.py the demo site (the DVR simulator and its config).
"""
