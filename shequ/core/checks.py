"""Start-up checks (Django system checks): refuse to serve with a development secret when DEBUG is off.

Registered in CoreConfig.ready(); `runserver`, `migrate`, `check --deploy` and every other command that runs the
checks stop on an Error. A test run (settings.TESTING) and DEBUG (`make run`) use the development keys on purpose."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, register

from shequ.env import DEV_DATA_KEY, DEV_HASH_KEY, DEV_SECRET_KEY


@register(Tags.security)
def development_keys_check(app_configs=None, **kwargs) -> list[Error]:
    if settings.DEBUG or settings.TESTING:
        return []
    hint = (
        "Set it in the environment (docs/adr/0004-personal-data-encryption.md), or SHEQU_DEBUG=1 on a laptop."
    )
    errors = []
    if settings.SECRET_KEY == DEV_SECRET_KEY:
        errors.append(
            Error(
                "SHEQU_SECRET_KEY is the development default while DEBUG is off.", hint=hint, id="shequ.E001"
            )
        )
    if DEV_DATA_KEY in settings.SHEQU_DATA_KEYS:
        errors.append(
            Error(
                "SHEQU_DATA_KEYS holds the development key while DEBUG is off: personal data would be encrypted "
                "(or still decryptable) with a public key.",
                hint=hint,
                id="shequ.E002",
            )
        )
    if settings.SHEQU_HASH_KEY == DEV_HASH_KEY:
        errors.append(
            Error("SHEQU_HASH_KEY is the development default while DEBUG is off.", hint=hint, id="shequ.E003")
        )
    return errors
