"""An expert's review of one assigned application: a score and a comment per criterion of
the call's rubric, an overall comment and a recommendation; a draft until submitted, then
locked (staff may reopen it with a reason)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from reviews.models.assignments import Assignment
from reviews.models.rubric import Criterion


class ReviewStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")


class Recommendation(models.TextChoices):
    FUND = "fund", _("Fund")
    FUND_WITH_CHANGES = "changes", _("Fund with changes")
    DO_NOT_FUND = "reject", _("Do not fund")


class Review(models.Model):
    assignment = models.OneToOneField(
        Assignment, verbose_name=_("assignment"), on_delete=models.CASCADE, related_name="review"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.DRAFT
    )
    comment = models.TextField(_("overall comment"), blank=True, max_length=5000)
    recommendation = models.CharField(
        _("recommendation"), max_length=10, choices=Recommendation.choices, blank=True
    )
    # The weighted total (reviews/scoring.py), stored at submission for lists and exports.
    total = models.DecimalField(_("weighted total"), max_digits=7, decimal_places=2, null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        ordering = ["assignment"]
        indexes = [models.Index(fields=["status"])]

    def __str__(self) -> str:
        return f"review of {self.assignment}"


class Score(models.Model):
    review = models.ForeignKey(
        Review, verbose_name=_("review"), on_delete=models.CASCADE, related_name="scores"
    )
    criterion = models.ForeignKey(
        Criterion, verbose_name=_("criterion"), on_delete=models.PROTECT, related_name="scores"
    )
    # Empty on a draft where the expert commented on a criterion before scoring it; a submitted
    # review has points for every criterion of the rubric.
    points = models.DecimalField(_("points"), max_digits=5, decimal_places=2, null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True, max_length=2000)

    class Meta:
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        ordering = ["review", "criterion__position"]
        constraints = [
            models.UniqueConstraint(fields=["review", "criterion"], name="score_unique_per_criterion"),
            models.CheckConstraint(condition=models.Q(points__gte=0), name="score_points_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.criterion_id}: {self.points}"
