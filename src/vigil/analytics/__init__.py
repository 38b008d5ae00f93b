"""Analytics: site rules turn detections into incidents (engine.py), recorded as events and
alerts (incidents.py). Schedules are evaluated in the site's time zone (schedules.py)."""
