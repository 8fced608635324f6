"""The worker process: APScheduler wiring (runner) and its jobs (thin: services do the work)."""
