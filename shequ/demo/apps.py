from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Installed only for its management command (`shequ seed`); no models, no urls."""

    name = "shequ.demo"
    label = "demo"
    verbose_name = "演示数据"
