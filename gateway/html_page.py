"""The one shape of every self-contained page the gateway serves (certificates, reconciliation reports).

Nothing loads from elsewhere: the content security policy allows no source but the
page's inline style (and, when given, its one inline script, named by its hash).
The caller escapes what it puts in the body; the title is escaped here.
"""

from __future__ import annotations

import base64
import hashlib
import html


def page(title: str, style: str, body: str, script: str = "") -> bytes:
    """A whole HTML document, UTF-8."""
    policy = "default-src 'none'; style-src 'unsafe-inline'"
    if script:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        policy += f"; script-src 'sha256-{digest}'"
    tail = f"<script>{script}</script>\n" if script else ""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{policy}">
<title>{html.escape(title)}</title>
<style>{style}</style>
</head>
<body>
<main>
{body}
</main>
{tail}</body>
</html>
""".encode()
