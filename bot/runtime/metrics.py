"""Prometheus metrics, served at /metrics.

Counters live in a registry per process (gunicorn workers each count their own;
set PROMETHEUS_MULTIPROC_DIR for an aggregate, as prometheus_client documents).
"""

from prometheus_client import Counter

MESSAGES = Counter("wechat_messages_total", "Messages and events received, by type", ["type"])
REJECTED = Counter("wechat_rejected_total", "Webhook requests refused before handling, by reason", ["reason"])
