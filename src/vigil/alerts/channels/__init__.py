"""Notification channels behind one interface (`Channel.send(Message)`): email, SMS, push,
webhook, MQTT and a local alarm hook. Each raises `DeliveryError` when a send fails."""
