"""The shell both HTML reports share: one self-contained page.

A page carries its CSS inline and its images as ``data:`` URIs, so it opens from a
mail attachment or an LMS upload with no network and makes no request of its own (the
Content-Security-Policy forbids any).  Text goes in through ``esc`` only: a layer named
``<script>`` is shown, never run.
"""

from __future__ import annotations

import base64
import html

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Nothing may load from anywhere but the page itself (images are data: URIs).
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", "Hiragino Sans", "Noto Sans CJK JP",
       sans-serif;
       margin: 0 auto; max-width: 1160px; padding: 16px 20px; color: #1b1f24; background: #ffffff; }
h1 { font-size: 1.6em; margin: 0.2em 0; }
h2 { font-size: 1.25em; border-bottom: 2px solid #d8dee4; padding-bottom: 4px; margin-top: 1.6em; }
h3 { font-size: 1.05em; margin: 0.6em 0; }
.muted { color: #57606a; }
.warning { color: #9a6700; font-weight: 600; }
.score { font-size: 2.2em; font-weight: 700; }
.badge { display: inline-block; padding: 2px 10px; border-radius: 12px; font-weight: 600; }
.badge.ok { background: #dafbe1; color: #116329; }
.badge.bad { background: #ffebe9; color: #a40e26; }
.bar { height: 12px; background: #eaeef2; border-radius: 6px; overflow: hidden; max-width: 480px; }
.bar > span { display: block; height: 100%; background: #2da44e; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; font-size: 0.92em; }
th, td { border: 1px solid #d0d7de; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.passed td.result { color: #116329; }
tr.failed td.result { color: #a40e26; font-weight: 600; }
tr.not_run td.result { color: #9a6700; }
tr.detail td { background: #fff8f6; }
tr.differs td, tr.differs th { background: #ffe1dd; }
td.shape { white-space: nowrap; }
td.differs { font-weight: 700; }
dl.message { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0; }
dl.message dt { font-weight: 600; }
dl.message dd { margin: 0; }
pre { background: #f6f8fa; border: 1px solid #d0d7de; padding: 8px; overflow-x: auto;
      white-space: pre-wrap;
      word-break: break-word; font-size: 0.85em; }
.panel { border: 1px solid #d0d7de; border-left: 4px solid #bf8700; padding: 8px 12px;
         margin: 8px 0; }
.panel.error { border-left-color: #cf222e; }
.side-by-side { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; align-items: start; }
figure { margin: 0 0 12px 0; }
figure img { width: 100%; height: auto; border: 1px solid #d0d7de; }
ul.notes li { margin: 4px 0; }
p.following { font-weight: 600; margin: 6px 0 0 0; }
p.because { margin: 0 0 6px 0; }
ol.causes ul { margin: 2px 0 8px 0; }
"""


def esc(value: object) -> str:
    """Text for HTML: every ``<``, ``&`` and quote escaped."""
    return html.escape(str(value), quote=True)


def png_data_uri(png: bytes) -> str | None:
    """``data:image/png;base64,...`` for real PNG bytes, else ``None``."""
    if not png.startswith(PNG_SIGNATURE):
        return None
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def page(title: str, lang: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{esc(lang)}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )
