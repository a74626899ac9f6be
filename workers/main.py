"""The consumer target: `huey_consumer workers.main.huey` imports the instance and registers the tasks."""

from workers import tasks  # noqa: F401  (registers the tasks on the instance)
from workers.huey_app import huey

__all__ = ["huey"]
