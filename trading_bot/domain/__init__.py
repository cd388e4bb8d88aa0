"""Pydantic models every layer shares. Money is Decimal; times are UTC-aware datetimes."""
