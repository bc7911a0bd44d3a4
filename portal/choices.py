"""Codes shared by every app. Codes are stable; only their labels are translated."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Province(models.TextChoices):
    SC = "SC", _("Sichuan")
    CQ = "CQ", _("Chongqing")
    OTHER = "OTHER", _("Other")


# The two provinces of the joint calls, in display order.
JOINT_PROVINCES = (Province.SC, Province.CQ)


def other_province(code: str) -> str:
    return {Province.SC: Province.CQ, Province.CQ: Province.SC}.get(code, "")
