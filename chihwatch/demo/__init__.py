"""The demo floor: the mirror server, the demo scenario and the mirror data shipped with chihwatch.

Used by the CLI (`chihwatch demo`, `serve-mirror`, `fixtures check`), the benches and the tests;
nothing below the CLI imports it (tests/test_layers.py).
"""
