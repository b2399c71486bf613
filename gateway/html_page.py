"""The one shape of every self-contained page the gateway serves (certificates, reconciliation reports).

Nothing loads from elsewhere: the content security policy allows no source but the
page's inline style (and, when given, its one inline script, named by its hash). The
public window's pages instead load one script module of the site's own (`module`),
which may call the site and the chain node a visitor picks (`connect`).
The caller escapes what it puts in the body; the title is escaped here.
"""

from __future__ import annotations

import base64
import hashlib
import html


def page(
    title: str,
    style: str,
    body: str,
    script: str = "",
    *,
    lang: str = "en",
    module: str = "",
    connect: str = "",
) -> bytes:
    """A whole HTML document, UTF-8."""
    policy = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'self'"
    tail = ""
    if script:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        policy += f"; script-src 'sha256-{digest}'"
        tail = f"<script>{script}</script>\n"
    elif module:
        policy += "; script-src 'self'"
        tail = f'<script type="module" src="{html.escape(module, quote=True)}"></script>\n'
    if connect:
        policy += f"; connect-src {connect}"
    return f"""<!DOCTYPE html>
<html lang="{html.escape(lang, quote=True)}">
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
