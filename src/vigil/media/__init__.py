"""Video for people: live HLS files and the VOD playlist over recorded segments (video.py), the
live picture with its detections (live.py), WebRTC pass-through (webrtc.py) and clip exports
(exports.py). The edge writes what this serves (edge/recorder.py, edge/live_hls.py); the names
both sides use are in storage/recordings.py."""
