from django.apps import AppConfig


class EpidemicConfig(AppConfig):
    name = "shequ.epidemic"
    label = "epidemic"
    verbose_name = "防疫"
    # Navigation entries: (url name, label, right needed or None, icon). Collected by core.nav.
    nav: list[tuple[str, str, str | None, str]] = []
    # emergency calls on_incident_activated / on_incident_stood_down / incident_figures from this module.
    incident_hooks = "shequ.epidemic.services.incident_hooks"

    def ready(self) -> None:
        from shequ.epidemic import relations

        relations.register()
