"""The hub of many sites: what edges send through their uplink (ingest.py), each edge's state
(edge_state.py) and the monitor that marks a silent edge OFFLINE (heartbeat.py), and alerts fanned
out to every API replica through Redis (fanout.py)."""
