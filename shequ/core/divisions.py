"""12-digit statistical division codes (统计用区划代码): 6-digit GB/T 2260 county + 3 street + 3 community."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from shequ.core.idnumbers import PROVINCE_CODES


def validate_division_code(value: str, *, level: str) -> None:
    """A street's code ends in 000; a community's does not; both start with a valid province."""
    if not re.fullmatch(r"\d{12}", value or ""):
        raise ValidationError(gettext("区划代码应为12位数字"), code="division_shape")
    if int(value[:2]) not in PROVINCE_CODES:
        raise ValidationError(gettext("区划代码前两位不是有效的省级代码"), code="division_province")
    if value[6:9] == "000":
        raise ValidationError(gettext("区划代码第7-9位(街道/乡镇)不能为000"), code="division_street")
    if level == "street" and value[9:] != "000":
        raise ValidationError(gettext("街道的区划代码后三位应为000"), code="division_street_suffix")
    if level == "community" and value[9:] == "000":
        raise ValidationError(gettext("社区的区划代码后三位不能为000"), code="division_community_suffix")
