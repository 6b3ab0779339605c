"""Route discovery and candidate values for the cross-cutting walks (tests/test_jurisdiction_walk.py,
tests/test_no_unmasked_pii.py).

Every URL pattern is found at run time from django.urls.get_resolver(), so a route added later is walked without
editing the tests. A path kwarg is filled with candidate values drawn from the rows in the test database (primary
keys, and short code-like strings); a filled URL is kept only if it resolves back to the same route.

Which rows belong to a community is worked out without knowing any app: the community's places, grids,
dwellings, people and persona users are the seeds, and any row with a foreign key to an owned row is owned too
(repeated until nothing changes). So a new app's rows are recognised as long as they point, directly or through
other rows, at something of the community's.
"""

from __future__ import annotations

import itertools
import json
import random
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.conf import settings
from django.db import models
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from django.urls.resolvers import RegexPattern, RoutePattern

# Routes that serve no community data, by name (namespace:name) or path prefix. Keep this list short and named.
SKIP_NAMES = {
    "api-schema",  # the OpenAPI document (tests/test_schema.py covers it)
    "api-docs",  # Swagger UI shell
    "set_language",  # i18n switch (POST only, redirects)
    "accounts:logout",  # would end the persona's session mid-walk
    "accounts-token",  # exchanges a password for a token; tested in accounts/tests/test_api.py
}
SKIP_PREFIXES = ("/static/", "/media/", "/i18n/", "/__debug__/")

MAX_STR_CANDIDATES = 30
MAX_COMBOS = 40
CODE_LIKE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@+-]{0,63}$")
SECRET_FIELD = re.compile(r"(_encrypted|_hash|password|session_key|session_data|^key$|token)", re.I)


@dataclass(frozen=True)
class Route:
    """One URL pattern: `template` is the path with {kwarg} holes."""

    template: str
    kwargs: tuple[str, ...]
    name: str
    route: str
    callback: object = field(default=None, compare=False, hash=False, repr=False)

    def fill(self, values: dict[str, str]) -> str:
        return self.template.format(**values)

    @property
    def is_api(self) -> bool:
        return self.template.startswith("/api/")


# Discovery ----------------------------------------------------------------------------------------------------

_NAMED_GROUP = re.compile(r"\(\?P<(\w+)>")
_ROUTE_PARAM = re.compile(r"<(?:(?P<conv>[^>:]+):)?(?P<name>\w+)>")
_REGEX_META = re.compile(r"[\\()\[\]*+?|{}$^]")


def _regex_to_template(regex: str) -> tuple[str, list[str]] | None:
    """'^people/(?P<pk>[0-9]+)/$' -> ('people/{pk}/', ['pk']); None when the regex is not a plain path."""
    regex = regex.removeprefix("^").removesuffix("$").removesuffix("\\Z")
    out, names, i = [], [], 0
    while i < len(regex):
        m = _NAMED_GROUP.match(regex, i)
        if m:
            depth, j = 1, m.end()
            while j < len(regex) and depth:
                if regex[j] == "\\":
                    j += 2
                    continue
                depth += {"(": 1, ")": -1}.get(regex[j], 0)
                j += 1
            names.append(m.group(1))
            out.append("{" + m.group(1) + "}")
            i = j
            continue
        if regex[i] == "\\" and i + 1 < len(regex) and not regex[i + 1].isalnum():
            out.append(regex[i + 1])
            i += 2
            continue
        if _REGEX_META.match(regex[i]):
            return None
        out.append(regex[i])
        i += 1
    return "".join(out), names


def _pattern_to_template(pattern) -> tuple[str, list[str]] | None:
    if isinstance(pattern, RoutePattern):
        names = []

        def hole(m):
            names.append(m.group("name"))
            return "{" + m.group("name") + "}"

        text = str(pattern).replace("{", "{{").replace("}", "}}")
        return _ROUTE_PARAM.sub(hole, text), names
    if isinstance(pattern, RegexPattern):
        result = _regex_to_template(str(pattern))
        if result is None:
            return None
        return result
    return None


def discover_routes() -> tuple[list[Route], list[str]]:
    """All routes of the project, and the ones skipped (with why), discovered from the root resolver."""
    routes: list[Route] = []
    skipped: list[str] = []

    def walk(patterns, prefix: str, names: list[str], ns: str, route_prefix: str):
        for p in patterns:
            raw = str(p.pattern)
            if "(?P<format>" in raw:
                skipped.append(f"/{prefix}{raw} (format suffix: same view as without it)")
                continue
            converted = _pattern_to_template(p.pattern)
            if converted is None:
                skipped.append(f"{prefix}{raw} (not a plain path)")
                continue
            text, kw = converted
            route_str = route_prefix + raw.removeprefix("^") if route_prefix else raw
            if isinstance(p, URLResolver):
                child_ns = f"{ns}:{p.namespace}" if ns and p.namespace else (p.namespace or ns)
                walk(p.url_patterns, prefix + text, names + kw, child_ns, route_str)
            elif isinstance(p, URLPattern):
                full = "/" + prefix + text
                all_kw = tuple(names + kw)
                name = f"{ns}:{p.name}" if ns and p.name else (p.name or "")
                if "format" in all_kw:
                    skipped.append(f"{full} (format suffix: same view as without it)")
                elif name in SKIP_NAMES or full.startswith(SKIP_PREFIXES):
                    skipped.append(f"{full} (skipped by name)")
                else:
                    routes.append(
                        Route(template=full, kwargs=all_kw, name=name, route=route_str, callback=p.callback)
                    )

    walk(get_resolver().url_patterns, "", [], "", "")
    unique = list({(r.template, r.name): r for r in routes}.values())
    return unique, skipped


# Ownership ----------------------------------------------------------------------------------------------------


def _concrete_models() -> list[type[models.Model]]:
    """Models with a table in the test database (a model whose migration is not written yet is left out)."""
    from django.db import connection

    tables = set(connection.introspection.table_names())
    return [
        m
        for m in apps.get_models(include_auto_created=True)
        if not m._meta.proxy and m._meta.managed and m._meta.db_table in tables
    ]


def owned_rows(seeds: dict[type[models.Model], set]) -> dict[type[models.Model], set]:
    """Rows that point (through foreign keys, transitively) at the seed rows, seeds included."""
    owned: dict[type[models.Model], set] = {m: set(pks) for m, pks in seeds.items()}
    all_models = _concrete_models()
    for _ in range(8):
        changed = False
        for model in all_models:
            for fk in model._meta.concrete_fields:
                if not fk.is_relation or fk.related_model is None:
                    continue
                targets = owned.get(fk.related_model)
                if not targets:
                    continue
                found = set(
                    model._base_manager.filter(**{f"{fk.attname}__in": list(targets)}).values_list(
                        "pk", flat=True
                    )
                )
                new = found - owned.get(model, set())
                if new:
                    owned.setdefault(model, set()).update(new)
                    changed = True
        if not changed:
            break
    return owned


def side_seeds(side) -> dict[type[models.Model], set]:
    """The rows that make a community's slice of the test world (shequ.testing.world.Side)."""
    from shequ.ledger.models import Person
    from shequ.places.models import Dwelling, Grid, Place

    community = side.community
    users = {side.worker, side.grid_worker, side.building_leader, side.volunteer, side.liaison, side.resident}
    return {
        Place: set(Place.objects.filter(community=community).values_list("pk", flat=True)),
        Grid: set(Grid.objects.filter(community=community).values_list("pk", flat=True)),
        Dwelling: set(Dwelling.objects.filter(community=community).values_list("pk", flat=True)),
        Person: set(Person.objects.filter(community=community).values_list("pk", flat=True)),
        type(side.worker): {u.pk for u in users},
    }


def row_state(owned: dict[type[models.Model], set]) -> dict[str, dict]:
    """Every owned row's field values, to prove a request changed none of them."""
    state = {}
    for model, pks in owned.items():
        names = [f.attname for f in model._meta.concrete_fields]
        state[model._meta.label] = {
            row[0]: row for row in model._base_manager.filter(pk__in=list(pks)).values_list(*names)
        }
    return state


def db_fingerprint() -> tuple:
    """A cheap summary of the whole database in one query — per table the row count, the largest key and the
    latest `updated_at` — equal before and after means the request inserted, deleted and updated nothing
    (updates are seen in tables with an `updated_at` column, which every domain model has)."""
    from django.db import connection

    quote = connection.ops.quote_name
    parts = []
    for model in _concrete_models():
        table = quote(model._meta.db_table)
        names = {f.attname: f for f in model._meta.concrete_fields}
        # Every column is cast to text: PostgreSQL will not UNION a NULL-typed text column with a timestamp.
        updated = (
            f"CAST(MAX({quote(names['updated_at'].column)}) AS TEXT)"
            if "updated_at" in names
            else "CAST(NULL AS TEXT)"
        )
        pk = model._meta.pk
        biggest = (
            f"CAST(MAX({quote(pk.column)}) AS TEXT)"
            if isinstance(pk, models.AutoField | models.BigAutoField)
            else "CAST(NULL AS TEXT)"
        )
        parts.append(f"SELECT '{model._meta.label}', COUNT(*), {updated}, {biggest} FROM {table}")
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts))
        return tuple(sorted(tuple(str(v) for v in row) for row in cursor.fetchall()))


# Candidates ---------------------------------------------------------------------------------------------------


def int_candidates(owned: dict[type[models.Model], set], *, per_model: int = 1) -> list[str]:
    """Primary keys of owned rows: the first `per_model` of every model. A missing scope check leaks every row of
    its model, so one row of each model is enough to catch it, and keeps the walk fast."""
    values: list[int] = []
    for _, pks in sorted(owned.items(), key=lambda i: i[0]._meta.label):
        for pk in sorted(p for p in pks if isinstance(p, int))[:per_model]:
            if pk not in values:
                values.append(pk)
    return [str(v) for v in values]


def str_candidates(owned: dict[type[models.Model], set], *, limit: int = MAX_STR_CANDIDATES) -> list[str]:
    """Code-like strings (public numbers, codes, UUIDs, tracking tokens): the first owned row's value of every
    such field."""
    values: list[str] = []
    for model, pks in sorted(owned.items(), key=lambda i: i[0]._meta.label):
        fields = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.SlugField | models.UUIDField)
            and not SECRET_FIELD.search(f.name)
        ]
        if not fields:
            continue
        for row in model._base_manager.filter(pk__in=list(pks)).order_by("pk").values_list(*fields)[:3]:
            for value in row:
                text = str(value) if value is not None else ""
                if text and CODE_LIKE.match(text) and not text.isdigit() and text not in values:
                    values.append(text)
    return values[:limit]


def view_model(callback) -> type[models.Model] | None:
    """The model a view serves, when the view says so: a DRF viewset's queryset or serializer model, a
    class-based view's model or queryset."""
    cls = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if cls is None:
        return None
    for attr in ("queryset", "model"):
        value = getattr(cls, attr, None)
        if value is not None:
            return value.model if hasattr(value, "model") and not isinstance(value, type) else value
    serializer = getattr(cls, "serializer_class", None)
    meta = getattr(serializer, "Meta", None)
    return getattr(meta, "model", None)


def view_app(callback) -> str | None:
    module = getattr(callback, "__module__", "") or ""
    if getattr(callback, "cls", None) is not None:
        module = callback.cls.__module__
    elif getattr(callback, "view_class", None) is not None:
        module = callback.view_class.__module__
    parts = module.split(".")
    return parts[1] if len(parts) > 2 and parts[0] == "shequ" else None


def route_candidates(route: Route, owned: dict[type[models.Model], set], *, level: int = 0) -> list[str]:
    """Candidate path values for a route, narrowest first: level 0 — the rows of the model the view declares
    (or, for function views, of its app's models); level 1 — rows of every model."""
    if level == 0:
        model = view_model(route.callback)
        if model is not None and owned.get(model):
            subset = {model: owned[model]}
            return int_candidates(subset, per_model=3) + str_candidates(subset)
        app = view_app(route.callback)
        if app is not None:
            subset = {m: pks for m, pks in owned.items() if m._meta.app_label == app}
            if subset:
                return int_candidates(subset, per_model=2) + str_candidates(subset)
    return int_candidates(owned) + str_candidates(owned)


def url_combos(route: Route, candidates: list[str], *, seed: int = 0, limit: int = MAX_COMBOS) -> list[str]:
    """URLs of `route` with every kwarg filled from `candidates`, kept only if they resolve back to the route."""
    if not route.kwargs:
        return [route.template]
    per_kwarg: list[list[str]] = []
    for kw in route.kwargs:
        ok = []
        for value in candidates:
            probe = {k: value if k == kw else "__probe__" for k in route.kwargs}
            if _fits(route, probe, only=kw):
                ok.append(value)
        per_kwarg.append(ok)
    combos = list(itertools.product(*per_kwarg))
    if len(combos) > limit:
        combos = random.Random(seed).sample(combos, limit)
    urls = []
    for combo in combos:
        url = route.fill(dict(zip(route.kwargs, combo, strict=True)))
        if _resolves_to(route, url):
            urls.append(url)
    return urls


def _fits(route: Route, values: dict[str, str], *, only: str) -> bool:
    """Does `values[only]` satisfy the kwarg's converter? Tried with the other kwargs set to known-good values
    when possible; a single-kwarg route is just resolved."""
    if len(route.kwargs) == 1:
        return _resolves_to(route, route.fill(values))
    # Multi-kwarg: test the kwarg alone by matching its converter/regex through a full resolve with each other
    # kwarg set to the same value (ints fill ints, strings fill strings); good enough to filter by type.
    same = {k: values[only] for k in route.kwargs}
    if _resolves_to(route, route.fill(same)):
        return True
    for other in ("1", "a1"):
        trial = {k: (values[only] if k == only else other) for k in route.kwargs}
        if _resolves_to(route, route.fill(trial)):
            return True
    return False


def _resolves_to(route: Route, url: str) -> bool:
    try:
        match = resolve(url)
    except Resolver404:
        return False
    return set(match.kwargs) == set(route.kwargs) and (
        match.route == route.route or match.view_name == route.name
    )


# App hooks ----------------------------------------------------------------------------------------------------


def populate_apps(world) -> list[str]:
    """Call every app's optional `shequ.<app>.testing.populate(world) -> list[str]`; return all fingerprints."""
    fingerprints: list[str] = []
    for app in settings.SHEQU_APPS:
        name = f"shequ.{app}.testing"
        if find_spec(name) is None:
            continue
        module = import_module(name)
        if hasattr(module, "populate"):
            found = module.populate(world) or []
            assert all(isinstance(f, str) and len(f) >= 2 for f in found), (
                f"{name}.populate must return strings"
            )
            fingerprints.extend(found)
    return fingerprints


# Bodies -------------------------------------------------------------------------------------------------------


def body_text(response) -> str:
    streaming = getattr(response, "streaming", False)
    raw = b"".join(response.streaming_content) if streaming else response.content
    return raw.decode("utf-8", errors="replace")


def forms_of(value: str) -> set[str]:
    """A string as it may appear in a body: plain, JSON \\u-escaped, HTML-escaped."""
    from django.utils.html import escape

    return {value, json.dumps(value)[1:-1], escape(value)}


def found_in(text: str, needles: Iterable[str]) -> list[str]:
    return sorted({n for n in needles for form in forms_of(n) if form and form in text})


def chunks(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
