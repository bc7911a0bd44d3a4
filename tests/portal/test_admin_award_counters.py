"""The admin never writes the award counters of a call, and refuses a budget or quota below
what the awards already use (with the figure, not an error page), or a field with awards
removed or swapped."""

from decimal import Decimal

import pytest
from django import forms
from django.contrib.admin.sites import site
from django.forms.models import model_to_dict
from django.test import RequestFactory
from django.utils import translation

from applications.admin import CallFieldForm, FundingCallForm
from applications.models import CallField, FundingCall
from tests.reviews.award_factories import make_award

pytestmark = pytest.mark.django_db


def call_form(call: FundingCall, **changes) -> FundingCallForm:
    data = {
        k: v for k, v in model_to_dict(call, fields=FundingCallForm._meta.fields).items() if v is not None
    }
    return FundingCallForm(data={**data, **changes}, instance=call)


def test_a_budget_below_the_awarded_funding_is_refused_with_the_figure():
    call = make_award(amount_sc=Decimal("500000"), amount_cq=Decimal("300000")).call
    call.refresh_from_db()
    with translation.override("en"):
        form = call_form(call, budget_sc="100000")
        assert not form.is_valid()
        assert "500,000.00" in form.errors["budget_sc"][0]
    assert call_form(call, budget_sc="500000").is_valid()


def test_a_quota_below_the_awards_or_a_field_with_awards_removed_is_refused():
    award = make_award(quota=3)
    call_field = CallField.objects.get(call=award.call, field=award.field)
    form = CallFieldForm(data={"field": call_field.field_id, "quota": "0"}, instance=call_field)
    assert not form.is_valid() and "quota" in form.errors
    form = CallFieldForm(
        data={"field": call_field.field_id, "quota": "3", "DELETE": "on"}, instance=call_field
    )
    form.fields["DELETE"] = forms.BooleanField(required=False)
    assert not form.is_valid()


def test_saving_a_call_loaded_before_an_award_keeps_the_award_counters():
    award = make_award(amount_sc=Decimal("0"), amount_cq=Decimal("0"))
    stale = FundingCall.objects.get(pk=award.call_id)
    make_award(award.call, amount_sc=Decimal("400000"), amount_cq=Decimal("100000"))
    stale.title_zh = "2021年川渝联合实施重点研发项目（修订）"
    model_admin = site._registry[FundingCall]
    request = RequestFactory().post("/")
    request.user = None
    model_admin.save_object(request, stale, None, change=True)
    fresh = FundingCall.objects.get(pk=award.call_id)
    assert fresh.title_zh.endswith("（修订）")
    assert (fresh.awarded_sc, fresh.awarded_cq) == (Decimal("400000"), Decimal("100000"))
