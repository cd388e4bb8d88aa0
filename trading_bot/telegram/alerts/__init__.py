"""Alerts: stream entries → notices (`notices.py`), when and where they go (`policy.py`), and the
consumer loop that sends them and acknowledges the entries (`dispatcher.py`)."""
