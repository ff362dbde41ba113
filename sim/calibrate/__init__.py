"""Calibration lab: measure a real Redis + Celery worker and fit the simulator overheads."""
