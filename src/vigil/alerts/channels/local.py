"""Channels that work with the WAN down: MQTT to a local broker (Home Assistant topics) and
an alarm hook (a local program: siren relay, GPIO writer)."""

from __future__ import annotations

import asyncio
import json

import aiomqtt

from vigil.alerts.channels.base import DeliveryError, Message
from vigil.config.alerts import LEVELS, AlarmChannel, MqttChannel


class MqttSender:
    """Topics under `<prefix>/<camera>/`: `alert` (each alert as JSON, not retained) and
    `alert/state` (retained `ON` while the camera has an open alert, `OFF` when resolved) —
    a Home Assistant MQTT binary sensor reads the latter directly. A `camera_offline` alert
    sets the retained `<prefix>/<camera>/availability` to `offline`, its resolution to
    `online`."""

    name = "mqtt"

    def __init__(self, cfg: MqttChannel) -> None:
        self._cfg = cfg

    async def send(self, message: Message) -> None:
        alert = message.alert
        if alert is None:
            return
        base = f"{self._cfg.topic_prefix}/{alert['camera_id']}"
        publishes: list[tuple[str, str, bool]] = []
        if message.kind in ("alert", "escalation"):
            publishes.append((f"{base}/alert", json.dumps(alert), False))
        state = "OFF" if alert.get("status") == "resolved" else "ON"
        publishes.append((f"{base}/alert/state", state, True))
        if alert.get("type") == "camera_offline":  # camera health (issue 3) resolves it
            online = alert.get("status") == "resolved"
            publishes.append((f"{base}/availability", "online" if online else "offline", True))
        try:
            async with aiomqtt.Client(
                self._cfg.host,
                self._cfg.port,
                username=self._cfg.username,
                password=self._cfg.password.get_secret_value() if self._cfg.password else None,
                timeout=5,
            ) as client:
                for topic, payload, retain in publishes:
                    await client.publish(topic, payload, qos=1, retain=retain)
        except aiomqtt.MqttError as err:
            raise DeliveryError(f"mqtt: {err}") from err

    async def close(self) -> None:
        return None


class AlarmSender:
    """Runs the configured program (no shell) with the alert JSON on stdin; a non-zero exit
    is a failed delivery. Alerts below `min_severity` are not sent to it."""

    name = "alarm"

    def __init__(self, cfg: AlarmChannel) -> None:
        self._cfg = cfg

    def wants(self, severity: str) -> bool:
        return LEVELS.index(severity) >= LEVELS.index(self._cfg.min_severity)

    async def send(self, message: Message) -> None:
        payload = json.dumps({"type": message.kind, "alert": message.alert}).encode()
        try:
            proc = await asyncio.create_subprocess_exec(
                *self._cfg.command,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )
        except OSError as err:
            raise DeliveryError(f"alarm: cannot run {self._cfg.command[0]}: {err}") from err
        try:
            _, err_out = await asyncio.wait_for(proc.communicate(payload), self._cfg.timeout_s)
        except TimeoutError as err:
            proc.kill()
            await proc.wait()
            raise DeliveryError(f"alarm: no exit within {self._cfg.timeout_s} s") from err
        if proc.returncode != 0:
            raise DeliveryError(f"alarm: exit {proc.returncode}: {err_out.decode()[-200:]}")

    async def close(self) -> None:
        return None
