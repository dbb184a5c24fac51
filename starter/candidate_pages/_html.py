"""The candidate pages' HTML: one plain layout, and the fragments the pages are made of.

Every value that comes from a session or a form passes through ``html.escape``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from string import Template

from fastapi.responses import HTMLResponse

from contract.codes import ExitKind
from contract.sessions import Segment, SessionView

_LAYOUT = Template("""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>$title · exitflow</title>
<style>
  body { font: 15px/1.5 system-ui, sans-serif; color: #1f2933; max-width: 40rem;
         margin: 2rem auto; padding: 0 1rem; }
  .standin { background: #fff8e1; border: 1px solid #f0d68a; padding: .5rem .75rem;
             font-size: 13px; }
  blockquote { margin: 0; padding: .25rem .75rem; border-left: 3px solid #cbd2d9;
               white-space: pre-wrap; }
  textarea { width: 100%; font: inherit; }
  button { font: inherit; padding: .4rem 1rem; margin-top: .5rem; }
</style>
</head>
<body>
<p class="standin">This page stands in for the interview platform's candidate page. Only
exitflow's embedded development stack (<code>exitflow up</code>) serves it.</p>
<h1>$title</h1>
$body
</body>
</html>
""")


def page(status: int, title: str, body: str) -> HTMLResponse:
    """The whole page: ``title`` is escaped here, ``body`` is HTML made of the fragments below."""
    html = _LAYOUT.substitute(title=escape(title), body=body)
    # The page's address holds the token: keep it out of caches.
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


def paragraph(text: str) -> str:
    """``text`` as a paragraph."""
    return f"<p>{escape(text)}</p>"


def form(action: str, session_id: str, token: str, fields: str, button: str) -> str:
    """A form that posts the session id and token, with ``fields`` before its button."""
    return (
        f'<form method="post" action="{action}">'
        f'<input type="hidden" name="session_id" value="{escape(session_id)}">'
        f'<input type="hidden" name="token" value="{escape(token)}">'
        f'{fields}<button type="submit">{escape(button)}</button></form>'
    )


def status_line(view: SessionView) -> str:
    """Where the session stands, in one sentence."""
    return f"<p>Your interview is <strong>{escape(view.status)}</strong>.</p>"


def termination(view: SessionView) -> str:
    """When the employer stopped the interview and the reason they gave."""
    ended = view.exit
    if ended is None or ended.kind is not ExitKind.TERMINATED:
        return status_line(view)
    return (
        f"<p>The employer stopped your interview on {when(ended.at)}. The reason given:</p>"
        f"<blockquote>{escape(ended.explanation or ended.reason_code)}</blockquote>"
    )


def saved_work(view: SessionView) -> str:
    """The session's saved segments, grouped by stage in the order they were saved."""
    if not view.completed_segments:
        return "<h2>Your saved work</h2><p>No work was saved.</p>"
    stages: dict[str, list[str]] = {}
    for segment in view.completed_segments:
        stages.setdefault(segment.stage, []).append(
            f"<li><code>{escape(segment.segment_id)}</code>: {escape(_describe(segment))}, "
            f"saved {when(segment.saved_at)}</li>"
        )
    return "<h2>Your saved work</h2>" + "".join(
        f"<h3>{escape(stage)}</h3><ul>{''.join(items)}</ul>" for stage, items in stages.items()
    )


def when(at: datetime) -> str:
    """A moment as the candidate reads it, in UTC to the minute."""
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _describe(segment: Segment) -> str:
    if segment.kind == "video":
        seconds = segment.video_seconds
        return "video answer" if seconds is None else f"video answer of {seconds:g} s"
    correct = segment.questions_correct
    answered = f"{segment.questions_answered or 0} questions answered"
    return f"assessment, {answered}" + ("" if correct is None else f", {correct} correct")
