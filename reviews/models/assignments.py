"""Who reviews what: an Assignment pairs an accepted application with an expert; an
AssignmentRun records one draw of the solver (its seed, so the draw can be replayed, its
settings, objective and shortfalls)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from applications.models import Application, FundingCall
from portal.jobs.models import Job
from reviews.models.pool import ReviewerProfile


class AssignmentRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    call = models.ForeignKey(
        FundingCall, verbose_name=_("funding call"), on_delete=models.CASCADE, related_name="assignment_runs"
    )
    seed = models.BigIntegerField(_("random seed"))
    experts_per_application = models.PositiveSmallIntegerField(_("experts per application"))
    min_per_province = models.PositiveSmallIntegerField(_("minimum experts of each province"))
    # A dry run computes and reports without saving any assignment.
    dry_run = models.BooleanField(_("dry run"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    optimal = models.BooleanField(_("proven optimal"), default=False)
    objective = models.BigIntegerField(_("objective (cost)"), null=True, blank=True)
    applications = models.PositiveIntegerField(_("applications"), default=0)
    assigned = models.PositiveIntegerField(_("pairs assigned"), default=0)
    # [{"application": id, "province": "SC"|"CQ"|None, "missing": n, "reason": code, …}, …]
    shortfalls = models.JSONField(_("shortfalls"), default=list)
    error = models.TextField(_("error"), blank=True)
    job = models.ForeignKey(
        Job, verbose_name=_("job"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("assignment run")
        verbose_name_plural = _("assignment runs")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.call_id} run {self.pk} (seed {self.seed})"


class AssignmentSource(models.TextChoices):
    SOLVER = "solver", _("Drawn by the solver")
    MANUAL = "manual", _("Added by staff")


class AssignmentStatus(models.TextChoices):
    # Waiting for the expert's declaration; then either declared (no conflict, confidentiality
    # signed: the expert may read and score) or declined (the expert declared a conflict).
    ASSIGNED = "assigned", _("Awaiting the declaration")
    DECLARED = "declared", _("Declared no conflict")
    DECLINED = "declined", _("Declared a conflict")


# The assignments that count: for the panel's size, the expert's load and the review's end.
LIVE_STATUSES = (AssignmentStatus.ASSIGNED, AssignmentStatus.DECLARED)


class Assignment(models.Model):
    application = models.ForeignKey(
        Application, verbose_name=_("application"), on_delete=models.CASCADE, related_name="assignments"
    )
    reviewer = models.ForeignKey(
        ReviewerProfile, verbose_name=_("expert"), on_delete=models.PROTECT, related_name="assignments"
    )
    source = models.CharField(_("source"), max_length=10, choices=AssignmentSource.choices)
    run = models.ForeignKey(
        AssignmentRun,
        verbose_name=_("assignment run"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assignments",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=AssignmentStatus.choices, default=AssignmentStatus.ASSIGNED
    )
    declared_at = models.DateTimeField(_("declared at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("assigned at"), auto_now_add=True)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["application", "reviewer"]
        constraints = [
            models.UniqueConstraint(fields=["application", "reviewer"], name="assignment_unique_pair")
        ]
        indexes = [models.Index(fields=["reviewer", "status"])]

    def __str__(self) -> str:
        return f"{self.application_id} → {self.reviewer_id}"
