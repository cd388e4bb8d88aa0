"""Thin Celery tasks of the decision pipeline (the stages themselves live beside this module)."""

from __future__ import annotations
