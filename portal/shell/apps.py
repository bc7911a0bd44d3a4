from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ShellConfig(AppConfig):
    name = "portal.shell"
    label = "shell"
    verbose_name = _("Site")
