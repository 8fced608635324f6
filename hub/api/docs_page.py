"""The /docs page: Swagger UI over /v2/openapi.json ("try it" with a sandbox key), and the
same reference rendered server-side below it, readable without JavaScript.

Swagger UI comes from the npm package swagger-ui-dist, vendored under
hub/static/vendor/swagger-ui/ with its licence (nothing is loaded from a CDN)."""

from __future__ import annotations

from html import escape

from flask import current_app

from hub.api.routing import ENDPOINTS


def render() -> str:
    """HTML listing every endpoint with its scope and request/response models."""
    rows = []
    for ep in sorted(ENDPOINTS, key=lambda e: (e.path, e.method)):
        rows.append(
            "<tr><td class='m {m}'>{m}</td><td><code>{p}</code></td><td>{s}</td>"
            "<td><code>{scope}</code></td><td>{body}</td><td>{resp}</td></tr>".format(
                m=escape(ep.method),
                p=escape(ep.path),
                s=escape(ep.summary),
                scope=escape(ep.scope or "—"),
                body=escape(ep.body.__name__ if ep.body else ""),
                resp=escape(ep.response.__name__ if ep.response else ""),
            )
        )
    base = escape(current_app.config["IVALID"].public_url.rstrip("/"))
    return f"""<!doctype html><html lang="fr"><head><meta charset="utf-8">
<title>iValid API v2 — documentation</title>
<link rel="stylesheet" href="/static/vendor/swagger-ui/swagger-ui.css">
<script src="/static/vendor/swagger-ui/swagger-ui-bundle.js" defer></script>
<script src="/static/docs.js" defer></script>
<style>body{{font-family:system-ui,sans-serif;margin:2rem;color:#111}}
table{{border-collapse:collapse;width:100%}}td,th{{border-bottom:1px solid #ddd;padding:.4rem;
text-align:left}}.m{{font-weight:bold}}.GET{{color:#0a7}}.POST{{color:#07a}}.PUT{{color:#a70}}
.DELETE{{color:#c22}}</style></head><body>
<h1>iValid API v2</h1>
<p><label>Clé API pour « Try it out » (une clé sandbox <code>ivk_test_…</code> du
<a href="/dashboard/sandbox/settings/api/credentials">dashboard</a>) :
<input id="try-key" size="60" autocomplete="off" placeholder="ivk_test_…"></label></p>
<div id="swagger-ui"></div>
<h2>Référence</h2>
<p>Document OpenAPI 3.1 : <a href="/v2/openapi.json">/v2/openapi.json</a>.
Authentification : <code>POST {base}/oauth/token</code> (client_credentials), puis
<code>Authorization: Bearer &lt;token&gt;</code>.</p>
<table><thead><tr><th>Méthode</th><th>Route</th><th>Description</th><th>Scope</th>
<th>Corps</th><th>Réponse</th></tr></thead><tbody>{"".join(rows)}</tbody></table>
</body></html>"""
