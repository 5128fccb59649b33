"""Django's admin reads and never writes: every change goes through the apps' actions (the
permission, the audit entry, the event), so an administrator's edit here would bypass all
three. Each registered admin of our models refuses add, change and delete."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import RequestFactory


@pytest.mark.django_db
def test_every_admin_of_our_models_is_read_only(django_user_model):
    superuser = django_user_model.objects.create_superuser("root", "root@example.com", "x")
    request = RequestFactory().get("/admin/")
    request.user = superuser
    checked = 0
    for model, model_admin in admin.site._registry.items():
        if not model.__module__.startswith("manyi."):
            continue
        checked += 1
        for verb in ("add", "change", "delete"):
            allowed = getattr(model_admin, f"has_{verb}_permission")(request)
            assert not allowed, f"{model._meta.label}'s admin allows {verb}"
        for inline in model_admin.get_inline_instances(request):
            assert not inline.has_add_permission(request, None), inline
            assert not inline.has_change_permission(request, None), inline
            assert not inline.has_delete_permission(request, None), inline
    assert checked >= 10
