"""Every change to questionnaires, links, responses, campaigns, phone interviews and
feedback goes through these functions, one module per subject:

- `questionnaires`: import an XLSForm, publish an edit (a new version once answered)
- `links`: make a link; the public answering through it (open, keep a draft)
- `responses`: submit answers, judged by the questionnaire version's own rules
- `tallies`: the running totals the figures are read from
- `campaigns`: invitations, reminders, opt-outs, closing, triggered surveys
- `interviews`: call lists, calls, completed phone interviews
- `feedback`: the listening posts and a ticket opened from them

What only reads (scales, quota cells, response rates, whom to call next...) is in
`manyi.surveys.reading`. The names below are the package's public face:
`from manyi.surveys import actions` then `actions.submit(...)`. A task queued under an
older dotted path (`manyi.surveys.actions.send_invitations`) still finds its function.
"""

from __future__ import annotations

from ..errors import LinkUnusable, QuestionnaireChanged, SubmissionRefused
from .campaigns import (
    close_campaign,
    create_campaign,
    launch_campaign,
    opt_out,
    schedule_triggered,
    send_invitations,
    send_reminders,
    send_triggered,
)
from .feedback import add_feedback, feedback_to_ticket, import_feedback_csv
from .interviews import complete_interview, draw_call_list, record_call
from .links import create_link, open_link, save_draft
from .questionnaires import edit_questionnaire, import_xlsform
from .responses import submit
from .tallies import rebuild_tallies

__all__ = [
    "LinkUnusable",
    "QuestionnaireChanged",
    "SubmissionRefused",
    "add_feedback",
    "close_campaign",
    "complete_interview",
    "create_campaign",
    "create_link",
    "draw_call_list",
    "edit_questionnaire",
    "feedback_to_ticket",
    "import_feedback_csv",
    "import_xlsform",
    "launch_campaign",
    "open_link",
    "opt_out",
    "rebuild_tallies",
    "record_call",
    "save_draft",
    "schedule_triggered",
    "send_invitations",
    "send_reminders",
    "send_triggered",
    "submit",
]
