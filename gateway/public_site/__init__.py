"""The public window: a read-only website where anyone looks up a settlement or retirement and
verifies it in the browser against the anchored log (docs/public-window.md)."""
