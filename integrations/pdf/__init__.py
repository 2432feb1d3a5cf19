"""Printed documents as PDF: Jinja2 templates in `forms/documents/` rendered by WeasyPrint.

- `settings.PdfSettings` — `MOTCUA_PDF_*` configuration (PDF variant, signing keys, worker batch);
- `renderer.WeasyRenderer` — the adapter of the engine's `DocumentRenderer` (templates, QR codes, metadata);
- `qr` — QR codes as PNG data URIs drawn without interpolation (segno);
- `signing.KeyDirSigner` — Ed25519 signatures over result documents with a key per agency;
- `fake.FakeRenderer` — a deterministic stand-in for engine unit tests.
"""
