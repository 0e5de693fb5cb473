"""Alembic migrations of the chihwatch store (shipped as package data)."""
