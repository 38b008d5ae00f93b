"""Analytics: site rules turn detections into incidents (engine.py over the rule modules), handed
to the alert path (service.py); schedules are evaluated in the site's time zone (schedules.py).
Zones and rules come from site.yaml and the API (catalog.py, rulebook.py) and reload live
(reload.py)."""
