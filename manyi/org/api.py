"""Organisation API: branches, staff (masked), personal-data reveal, the audit trail."""

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from manyi.core.pagination import Page
from manyi.core.schemas import Id, IsoDate, MaskedIdNumber, MaskedPhone, if_match_header
from manyi.core.versioning import etag, parse_version

from . import actions, audit
from .models import Branch, Region, Staff
from .permissions import require_permission
from .roles import Role, Scope
from .scoping import get_visible_or_404

router = Router(tags=["organisation"])


class BranchOut(Schema):
    id: int
    code: str
    name: str
    city: str
    region: str = Field(..., alias="region.name")
    region_code: str = Field(..., alias="region.code")
    phone: str
    observes_statutory_holidays: bool


class StaffOut(Schema):
    id: int
    username: str = Field(..., alias="user.username")
    employee_no: str
    name: str
    role: Role
    scope: Scope
    department: str | None = Field(None, alias="department.name")
    phone: MaskedPhone
    id_number: MaskedIdNumber
    branches: list[str]
    regions: list[str]
    version: int = Field(
        ..., description="Counts every change; send it back as If-Match to edit safely."
    )

    @staticmethod
    def resolve_branches(obj: Staff) -> list[str]:
        return [b.code for b in obj.branches.all()]

    @staticmethod
    def resolve_regions(obj: Staff) -> list[str]:
        return [r.code for r in obj.regions.all()]


class StaffCreateIn(Schema):
    username: str = Field(..., min_length=2, max_length=150)
    name: str = Field(..., min_length=1, max_length=100)
    role: Role
    branches: list[str] = []
    regions: list[str] = []
    scope: Scope | None = None
    phone: str = ""
    password: str | None = None


class StaffPatchIn(Schema):
    name: str | None = None
    role: Role | None = None
    phone: str | None = None
    branches: list[str] | None = None


class RevealIn(Schema):
    field: str
    reason: str = ""


class RevealOut(Schema):
    field: str
    value: str


class AuditOut(Schema):
    id: int
    at: dt.datetime
    actor: str = Field(..., alias="actor_name")
    action: str
    object_type: str
    object_id: str
    object_repr: str
    branch_id: int | None
    before: dict | None
    after: dict | None
    note: str


class AuditFilter(Schema):
    object_type: str | None = None
    object_id: str | None = None
    actor: str | None = Field(None, description="user name or name of the person")
    action: str | None = None
    since: IsoDate | None = None
    until: IsoDate | None = None


def _staff_queryset():
    return Staff.objects.select_related("user", "department").prefetch_related(
        "branches", "regions"
    )


def _branches(codes: list[str], user) -> list[Branch]:
    found = list(Branch.objects.visible_to(user).filter(code__in=codes))
    missing = set(codes) - {b.code for b in found}
    if missing:
        from django.http import Http404

        raise Http404
    return found


@router.get("/me", response=StaffOut | None, summary=gettext_lazy("The person behind this token"))
def me(request: HttpRequest):
    return _staff_queryset().filter(user=request.user).first()


@router.get(
    "/branches",
    response=list[BranchOut],
    summary=gettext_lazy("The branches this person can see"),
)
def list_branches(request: HttpRequest):
    return Branch.objects.visible_to(request.user).select_related("region")


@router.get("/branches/{code}", response=BranchOut, summary=gettext_lazy("One branch"))
def get_branch(request: HttpRequest, code: str):
    return get_visible_or_404(Branch.objects.select_related("region"), request.user, code=code)


@router.get(
    "/staff",
    response=list[StaffOut],
    summary=gettext_lazy("Staff, by branch or role"),
)
@paginate(Page)
def list_staff(request: HttpRequest, branch: str | None = None, role: Role | None = None):
    queryset = _staff_queryset().visible_to(request.user)
    if branch:
        queryset = queryset.filter(branches__code=branch)
    if role:
        queryset = queryset.filter(role=role)
    return queryset.order_by("employee_no")


@router.get("/staff/{staff_id}", response=StaffOut, summary=gettext_lazy("One staff member"))
def get_staff(request: HttpRequest, staff_id: Id, response: HttpResponse):
    staff = get_visible_or_404(_staff_queryset(), request.user, pk=staff_id)
    response["ETag"] = etag(staff)
    return staff


@router.post(
    "/staff",
    response={201: StaffOut},
    summary=gettext_lazy("Add a staff member (administrators)"),
)
def create_staff(request: HttpRequest, payload: StaffCreateIn):
    require_permission(request.user, "org.manage_staff")
    staff = actions.create_staff(
        request.user,
        username=payload.username,
        name=payload.name,
        role=payload.role,
        branches=_branches(payload.branches, request.user),
        regions=list(Region.objects.filter(code__in=payload.regions)),
        scope=payload.scope,
        phone=payload.phone,
        password=payload.password,
    )
    return Status(201, _staff_queryset().get(pk=staff.pk))


@router.patch(
    "/staff/{staff_id}",
    response=StaffOut,
    summary=gettext_lazy("Change a staff member"),
    description=gettext_lazy(
        "Only the fields sent are changed; with If-Match, a field someone else "
        "changed since that version is refused with 409 (edit_conflict)."
    ),
)
def update_staff(
    request: HttpRequest,
    staff_id: Id,
    payload: StaffPatchIn,
    response: HttpResponse,
    if_match: str | None = if_match_header(),
):
    staff = get_visible_or_404(Staff, request.user, pk=staff_id)
    changes = payload.dict(exclude_unset=True, exclude_none=True)
    if "branches" in changes:
        changes["branches"] = _branches(changes["branches"], request.user)
    actions.update_staff(request.user, staff, seen=parse_version(if_match), **changes)
    staff = _staff_queryset().get(pk=staff.pk)
    response["ETag"] = etag(staff)
    return staff


@router.post(
    "/staff/{staff_id}/reveal",
    response=RevealOut,
    summary=gettext_lazy("Unmasked personal data (needs pii.unmask; audited)"),
)
def reveal_staff_data(request: HttpRequest, staff_id: Id, payload: RevealIn):
    staff = get_visible_or_404(Staff, request.user, pk=staff_id)
    value = actions.reveal_personal_data(request.user, staff, payload.field, reason=payload.reason)
    return {"field": payload.field, "value": value}


@router.get(
    "/audit",
    response=list[AuditOut],
    summary=gettext_lazy("The audit trail, filtered"),
)
@paginate(Page)
def audit_trail(request: HttpRequest, filters: Query[AuditFilter]):
    require_permission(request.user, "audit.view")
    return audit.search(request.user, **filters.dict())
