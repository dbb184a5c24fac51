"""A letter as a list of blocks, rendered once to plain text and once to HTML.

Both renderings walk the same blocks, so the two parts of an email always say the same
thing, and HTML escaping happens in exactly one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

from pydantic import BaseModel


class RenderedEmail(BaseModel):
    """One candidate email, ready to be put into a MIME message."""

    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of prose."""

    text: str


@dataclass(frozen=True)
class Bullets:
    """A short unordered list."""

    items: tuple[str, ...]


@dataclass(frozen=True)
class Facts:
    """Labelled values, such as a reference number and a time."""

    rows: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Action:
    """The one thing the candidate should click, shown with its full address."""

    label: str
    url: str


@dataclass(frozen=True)
class Notice:
    """Text quoted exactly as someone else wrote it."""

    text: str


Block = Paragraph | Bullets | Facts | Action | Notice


@dataclass(frozen=True)
class Letter:
    """Everything one email says, independent of its format."""

    lang: str
    subject: str
    greeting: str
    blocks: tuple[Block, ...]
    sign_off: tuple[str, ...]
    footer: tuple[str, ...] = field(default_factory=tuple)
    colon: str = ": "


def render(letter: Letter) -> RenderedEmail:
    """Render a letter into its subject, text part and HTML part."""
    return RenderedEmail(subject=letter.subject, text=_text(letter), html=_html(letter))


def _text(letter: Letter) -> str:
    chunks = [letter.greeting]
    for block in letter.blocks:
        match block:
            case Paragraph(text):
                chunks.append(text)
            case Bullets(items):
                chunks.append("\n".join(f"  • {item}" for item in items))
            case Facts(rows):
                chunks.append("\n".join(f"{label}{letter.colon}{value}" for label, value in rows))
            case Action(label, url):
                chunks.append(f"{label}{letter.colon.rstrip()}\n{url}")
            case Notice(text):
                # Kept exactly as written, not indented or re-wrapped: it is a quotation.
                chunks.append(text)
    chunks.append("\n".join(letter.sign_off))
    if letter.footer:
        chunks.append("--\n" + "\n".join(letter.footer))
    return "\n\n".join(chunks) + "\n"


_P = '<p style="margin:0 0 16px">{}</p>'
_BUTTON = (
    '<p style="margin:24px 0 8px"><a href="{url}" style="display:inline-block;'
    "padding:12px 24px;background:#1a56db;color:#ffffff;border-radius:6px;"
    'text-decoration:none;font-weight:600">{label}</a></p>'
    '<p style="margin:0 0 16px;font-size:13px;color:#555555;word-break:break-all">'
    '<a href="{url}" style="color:#1a56db">{url}</a></p>'
)
_NOTICE = (
    '<blockquote style="margin:0 0 16px;padding:12px 16px;border-left:4px solid #d0d5dd;'
    'background:#f7f8fa;white-space:pre-wrap">{}</blockquote>'
)


def _html(letter: Letter) -> str:
    parts = [_P.format(escape(letter.greeting))]
    for block in letter.blocks:
        match block:
            case Paragraph(text):
                parts.append(_P.format(escape(text)))
            case Bullets(items):
                lis = "".join(f"<li>{escape(item)}</li>" for item in items)
                parts.append(f'<ul style="margin:0 0 16px;padding-left:24px">{lis}</ul>')
            case Facts(rows):
                trs = "".join(
                    f'<tr><td style="padding:4px 16px 4px 0;color:#555555">{escape(label)}'
                    f'</td><td style="padding:4px 0">{escape(value)}</td></tr>'
                    for label, value in rows
                )
                parts.append(
                    f'<table style="margin:0 0 16px;border-collapse:collapse">{trs}</table>'
                )
            case Action(label, url):
                parts.append(_BUTTON.format(url=escape(url), label=escape(label)))
            case Notice(text):
                parts.append(_NOTICE.format(escape(text)))
    parts.append(_P.format("<br>".join(escape(line) for line in letter.sign_off)))
    if letter.footer:
        footer = "<br>".join(escape(line) for line in letter.footer)
        parts.append(
            '<p style="margin:24px 0 0;padding-top:12px;border-top:1px solid #e4e7ec;'
            f'font-size:12px;color:#777777">{footer}</p>'
        )
    body = "\n".join(parts)
    return (
        f'<!DOCTYPE html>\n<html lang="{escape(letter.lang)}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(letter.subject)}</title>\n</head>\n"
        '<body style="margin:0;padding:24px;background:#ffffff;color:#1f2328;'
        "font-family:-apple-system,'Segoe UI','PingFang SC','Microsoft YaHei',"
        'Helvetica,Arial,sans-serif;font-size:15px;line-height:1.6">\n'
        f'<div style="max-width:600px;margin:0 auto">\n{body}\n</div>\n</body>\n</html>\n'
    )
