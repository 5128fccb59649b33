"""Questionnaires: importing an XLSForm workbook and publishing an edit made in the
product, each checked as strictly as the other, each a new version once answered."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from manyi.analytics.formcheck import check_form, normalise
from manyi.analytics.xlsform import XLSFormError, form_from_dict, form_to_dict, read_xlsform
from manyi.core import clock
from manyi.org import audit
from manyi.org.actions import SYSTEM
from manyi.org.permissions import require_permission

from ..auditing import AuditAction
from ..errors import QuestionnaireChanged
from ..models import Questionnaire, QuestionnaireVersion
from ..reading import definition_digest
from ._common import is_chinese, staff

MAX_XLSFORM_BYTES = 5 * 1024 * 1024


def import_xlsform(
    actor: Any, *, content: bytes, file_name: str, code: str = ""
) -> tuple[QuestionnaireVersion, list[str]]:
    """Read an XLSForm workbook into a questionnaire. A questionnaire that already has
    answers gets a new version (the answers keep theirs); one without answers has its
    current version replaced. Returns the version and what the form uses that we do not
    support (listed, not silently dropped)."""
    if actor != SYSTEM:
        require_permission(actor, "surveys.design")
    if len(content) > MAX_XLSFORM_BYTES:
        raise ValidationError(_("The workbook is larger than 5 MB."))
    suffix = Path(file_name).suffix.lower()
    if suffix not in (".xlsx", ".xls", ".csv"):
        raise ValidationError(_("An XLSForm is an .xlsx, .xls or .csv file."))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"form{suffix}"
        path.write_bytes(content)
        try:
            form = read_xlsform(path)
            # what pyxform lets through but no respondent could answer: no question at all,
            # calculations that wait on each other in a loop
            check_form(normalise(form))
        except XLSFormError as exc:
            raise ValidationError(exc.zh if is_chinese() else str(exc)) from None
        except RecursionError:
            raise ValidationError(
                _("An expression of the form is nested too deeply to be read.")
            ) from None
    code = (code or form.form_id or "").strip()
    if not code:
        raise ValidationError(_("The questionnaire needs a code (form_id in the settings sheet)."))
    definition = form_to_dict(form)
    with transaction.atomic():
        questionnaire, _created = Questionnaire.objects.select_for_update().get_or_create(
            code=code, defaults={"title": form.title or code, "created_by": staff(actor)}
        )
        current = questionnaire.current_version()
        if current is not None and not current.responses.exists():
            current.definition = definition
            current.source_name = file_name[:255]
            current.save(update_fields=["definition", "source_name"])
            version = current
        else:
            version = QuestionnaireVersion.objects.create(
                questionnaire=questionnaire,
                number=(current.number + 1) if current else 1,
                definition=definition,
                source_name=file_name[:255],
                created_by=staff(actor),
            )
        if form.title and questionnaire.title != form.title:
            questionnaire.title = form.title
            questionnaire.save(update_fields=["title"])
        audit.record(
            actor,
            AuditAction.IMPORT,
            questionnaire,
            after={
                "version": version.number,
                "file": file_name,
                "questions": len(form.questions),
                "unsupported": form.unsupported,
            },
        )
    return version, form.unsupported


def edit_questionnaire(
    actor: Any,
    questionnaire: Questionnaire,
    definition: dict[str, Any],
    *,
    note: str = "",
    base: str | None = None,
) -> QuestionnaireVersion:
    """Publish a questionnaire edited in the product (the editing page, scripts), checked
    as strictly as an uploaded workbook. Like `import_xlsform`, a current version that has
    answers stays as it is and the edit becomes the next version (the answers keep
    theirs); one without answers is changed in place. An edit that changes nothing stores
    nothing and returns the current version. `base`: the digest of the definition the
    editor started from; when someone saved since, the edit is refused
    (`QuestionnaireChanged`), checked under the questionnaire's lock."""
    if actor != SYSTEM:
        require_permission(actor, "surveys.design")
    try:
        form = normalise(form_from_dict(definition))
        check_form(form)
    except RecursionError:
        raise ValidationError(
            _("An expression of the form is nested too deeply to be read.")
        ) from None
    except XLSFormError as exc:
        raise ValidationError(exc.zh if is_chinese() else str(exc)) from None
    except (KeyError, TypeError, ValueError, AttributeError):
        raise ValidationError(
            _("The questionnaire's description is incomplete or not valid.")
        ) from None
    edited = form_to_dict(form)

    def canonical(data: dict[str, Any]) -> str:
        return json.dumps(data, sort_keys=True, ensure_ascii=False)

    with transaction.atomic():
        questionnaire = Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
        current = questionnaire.current_version()
        stale = base is not None and current is not None
        if stale and definition_digest(current.definition) != base:
            raise QuestionnaireChanged(current.number)
        before: Any = None
        if current is not None:
            try:
                before = normalise(form_from_dict(current.definition))
            except (KeyError, TypeError, ValueError, AttributeError):
                before = None  # an old definition we cannot read: any edit replaces it
            if before is not None and canonical(form_to_dict(before)) == canonical(edited):
                return current
        source = (note.strip() or _("Edited in Manyi"))[:255]
        answered = current is not None and current.responses.exists()
        if current is not None and not answered:
            current.definition = edited
            current.source_name = source
            current.save(update_fields=["definition", "source_name"])
            version = current
        else:
            version = QuestionnaireVersion.objects.create(
                questionnaire=questionnaire,
                number=(current.number + 1) if current else 1,
                definition=edited,
                source_name=source,
                created_by=staff(actor),
                created_at=clock.now(),
            )
        if form.title and questionnaire.title != form.title:
            questionnaire.title = form.title
            questionnaire.save(update_fields=["title"])
        old = {q.name: q for q in before.questions} if before is not None else {}
        new = {q.name: q for q in form.questions}
        audit.record(
            actor,
            AuditAction.EDIT,
            questionnaire,
            before={"version": current.number} if current is not None else None,
            after={
                "version": version.number,
                "new_version": version is not current,
                "questions": len(form.questions),
                "added": sorted(set(new) - set(old)),
                "removed": sorted(set(old) - set(new)),
                "changed": sorted(n for n in set(new) & set(old) if new[n] != old[n]),
            },
            note=note.strip()[:300],
        )
    return version
