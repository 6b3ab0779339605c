from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from shequ.emergency.models import coerce_parameter
from shequ.epidemic.parsing import parse_temperature, parse_uuid


@given(st.decimals(min_value=Decimal("34.0"), max_value=Decimal("43.0"), places=1))
def test_temperatures_in_range_parse(value):
    assert parse_temperature(str(value)) == value


@given(st.one_of(st.text(max_size=8), st.floats(allow_nan=True, allow_infinity=True)))
def test_any_temperature_input_parses_or_names_the_field(raw):
    try:
        value = parse_temperature(raw)
    except ValidationError as exc:
        assert "temperature" in exc.message_dict
    else:
        assert Decimal("34.0") <= value <= Decimal("43.0")


@given(st.text(max_size=40))
def test_uuid_input_parses_or_names_the_field(raw):
    try:
        parse_uuid(raw)
    except ValidationError as exc:
        assert "client_uuid" in exc.message_dict


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        ("int", " 7 ", 7),
        ("decimal", "37.3", Decimal("37.3")),
        ("bool", "是", True),
        ("list", "封控区、管控区,防范区", ["封控区", "管控区", "防范区"]),
        ("text", "x", "x"),
    ],
)
def test_coerce_parameter(kind, raw, expected):
    assert coerce_parameter(kind, raw) == expected


@given(st.text(max_size=10))
def test_coerce_int_parameter_never_crashes(raw):
    try:
        coerce_parameter("int", raw, field="param_days")
    except ValidationError as exc:
        assert "param_days" in exc.message_dict
