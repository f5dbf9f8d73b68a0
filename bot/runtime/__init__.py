"""What a process runs on: services, queues, the worker, metrics, logging, the dev runner."""
