"""The analyst's workbench: `chihwatch serve`, a read-only web app over the store (docs/web.md)."""
