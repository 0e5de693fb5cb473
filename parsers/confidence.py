"""How sure the parser is: the confidence of each path, its penalties and caps, and the floor below
which the store holds a parse back as a suspect. The one place both sides read these numbers
(storage imports SUSPECT_CONFIDENCE from here; parsers never import storage).

Every cap for a page the parser doubts (truncated, zones merged) is below SUSPECT_CONFIDENCE, so such
a page becomes a suspect, never a revision; tests/parsers/test_parser_signals.py checks the order.
"""

from __future__ import annotations

__all__ = [
    "SUSPECT_CONFIDENCE",
    "PROFILE_CONFIDENCE",
    "PROFILE_NO_SOURCE_CONFIDENCE",
    "GENERIC_CAP",
    "PROFILE_REJECTED_PENALTY",
    "PENALTY",
    "TRUNCATED_CONFIDENCE",
    "SUSPECT_ZONES_CONFIDENCE",
    "NO_ZONES_PENALTY",
    "UNKNOWN_ZONE_PENALTY",
    "UNKNOWN_ZONE_CONFIDENCE",
]

# The store holds back a parse below this as a suspect (reason "low parse confidence").
SUSPECT_CONFIDENCE = 0.5

# A clean profile hit, with and without a source line.
PROFILE_CONFIDENCE = 0.97
PROFILE_NO_SOURCE_CONFIDENCE = 0.92
# The generic extractor never claims more than a profile without a source line.
GENERIC_CAP = 0.92
# A known template whose body was not where it should be: the generic result, with some wariness.
PROFILE_REJECTED_PENALTY = 0.05
# What one ordinary doubt costs (no time, no installment number, a single zone, a short body ...).
PENALTY = 0.1

# Confidence of a truncated page: below SUSPECT_CONFIDENCE, whatever else it found.
TRUNCATED_CONFIDENCE = 0.4
# Confidence of a series installment whose segmentation looks wrong (no zone heading at all, or a
# zone's opening sentence inside another section): below SUSPECT_CONFIDENCE, so a page that lost
# its headings is never stored as a revision that merges zones.
SUSPECT_ZONES_CONFIDENCE = 0.45
# An installment without any zone heading loses this much (and is capped at SUSPECT_ZONES_CONFIDENCE).
NO_ZONES_PENALTY = 0.3
# A zone whose heading only its shape gave away (not in the gazetteer), or a zone that a paragraph
# opens on but that is nowhere a heading: kept, flagged, and never at a clean hit's confidence.
UNKNOWN_ZONE_PENALTY = 0.1
UNKNOWN_ZONE_CONFIDENCE = 0.8
