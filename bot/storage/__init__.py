"""Engine and sessions, models, schema, and the one place Redis keys are built."""
