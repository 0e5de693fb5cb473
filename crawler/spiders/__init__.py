"""Spiders of the chihwatch crawler."""
