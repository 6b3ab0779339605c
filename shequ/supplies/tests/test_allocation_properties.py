from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from shequ.supplies.allocation import Need, allocate

need = st.builds(
    Need,
    key=st.integers(),
    asked=st.decimals(min_value=0, max_value=100000, places=3, allow_nan=False, allow_infinity=False),
    population=st.integers(min_value=0, max_value=100000),
    vulnerable=st.integers(min_value=0, max_value=5000),
    zone=st.sampled_from(["", "sealed", "controlled", "precaution"]),
    held=st.decimals(min_value=0, max_value=10000, places=3, allow_nan=False, allow_infinity=False),
)
weights = st.fixed_dictionaries(
    {k: st.floats(min_value=0, max_value=10) for k in ("population", "vulnerable", "zone", "shortfall")}
)


@settings(max_examples=300, deadline=None)
@given(
    available=st.decimals(min_value=0, max_value=1000000, places=3, allow_nan=False, allow_infinity=False),
    needs=st.lists(need, max_size=25),
    w=weights,
    countable=st.booleans(),
)
def test_never_more_than_exists_nor_more_than_asked(available, needs, w, countable):
    shares = allocate(available, needs, weights=w, countable=countable)
    assert len(shares) == len(needs)
    assert sum(s.quantity for s in shares) <= available
    for s, n in zip(shares, needs, strict=True):
        assert Decimal(0) <= s.quantity <= n.asked
        if countable:
            assert s.quantity == s.quantity.to_integral_value()


@settings(max_examples=200, deadline=None)
@given(needs=st.lists(need, min_size=1, max_size=15), countable=st.booleans())
def test_enough_stock_fills_every_request(needs, countable):
    total = sum((n.asked for n in needs), Decimal(0))
    shares = allocate(total + 10, needs, countable=countable)
    for s, n in zip(shares, needs, strict=True):
        expected = n.asked.to_integral_value(rounding="ROUND_FLOOR") if countable else n.asked
        assert s.quantity == expected


@settings(max_examples=200, deadline=None)
@given(available=st.integers(min_value=0, max_value=10000), needs=st.lists(need, min_size=1, max_size=15))
def test_scarce_stock_is_all_handed_out(available, needs):
    """When requests ask for more than exists, nothing countable is left in the store."""
    asked = sum(int(n.asked) for n in needs)
    shares = allocate(Decimal(available), needs, countable=True)
    assert sum(s.quantity for s in shares) == min(Decimal(available), Decimal(asked))
