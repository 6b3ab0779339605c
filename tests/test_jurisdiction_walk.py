"""The jurisdiction walk: every page and every API route, found at run time, asked by every persona of community A
(community worker, grid worker, building leader, volunteer, department liaison, resident) with every candidate
value for its path arguments. It fails if any answer carries community B's data, if any answer is a 500, or if a
write by A's worker to B's objects changes anything.

How it covers routes added later, without being edited:
  * routes come from django.urls.get_resolver() (tests/routewalk.py); only routes that serve no community data
    are skipped, by name, in routewalk.SKIP_NAMES (schema, docs, language switch, logout, token exchange) and
    DRF's `.json` format-suffix twins of routes that are walked anyway;
  * path arguments are filled with the primary keys of community B's rows (int converters) and the code-like
    strings in them (str/slug/uuid converters: public numbers, codes, UUIDs), kept only if the URL resolves back
    to the route; multi-argument routes get a bounded sample of combinations;
  * community B's rows are found without knowing the app: B's places, grids, dwellings, people and persona
    users, and every row that points at them by foreign key, transitively (routewalk.owned_rows).

How a new app plugs in — the `testing.populate` hook:
  Write `shequ/<app>/testing.py` with

      def populate(world) -> list[str]:
          '''Create this app's objects in both communities (world.a and world.b), through the app's services,
          and return strings that appear only in community B's objects (a title, a case number …).'''

  The walk calls it for every app in settings.SHEQU_APPS that has one, after building the world. A fingerprint
  must be specific to B (e.g. "老街小区乙方独有漏水诉求-乙柒捌"), not a word A's objects also contain. The ledger's
  own fingerprints live here: B's people (章伟, 王芳, 刘桂兰), B's compound 老街小区, B's masked phones and IDs.
  Nothing else is needed: the app's pages and API routes are found, and its rows are recognised as B's because
  they point at B's places, people or users.
"""

from __future__ import annotations

import time
from collections import defaultdict
from urllib.parse import unquote

import pytest
from django.db import transaction
from django.test import Client

from tests import routewalk

pytestmark = pytest.mark.django_db

REFUSALS = {400, 403, 404, 405}


def ledger_fingerprints(world) -> list[str]:
    b = world.b
    people = [b.head, b.spouse, b.elder]
    values = [p.name for p in people] + [b.compound.name]
    values += [p.phone_masked for p in people if p.phone_masked]
    values += [p.id_number_masked for p in people if p.id_number_masked]
    return values


def _client(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def _get(client, url):
    with transaction.atomic():
        response = client.get(url)
        text = routewalk.body_text(response)
        transaction.set_rollback(True)
    return response, text


def _list_variants(world) -> list[str]:
    """Query strings tried on routes without path arguments: plain, a search for B's person, filters at B's
    community, household and person (filters must not widen the scope)."""
    b = world.b
    return [
        "",
        f"?q={b.head.name}",
        f"?community={b.community.pk}",
        f"?household={b.household.pk}",
        f"?person={b.head.pk}",
    ]


@pytest.fixture
def walk(world):
    fingerprints = ledger_fingerprints(world) + routewalk.populate_apps(world)
    routes, skipped = routewalk.discover_routes()
    owned_b = routewalk.owned_rows(routewalk.side_seeds(world.b))
    personas = {
        "worker_a": _client(world.a.worker),
        "grid_worker_a": _client(world.a.grid_worker),
        "building_leader_a": _client(world.a.building_leader),
        "volunteer_a": _client(world.a.volunteer),
        "liaison_a": _client(world.a.liaison),
        "resident_a": _client(world.a.resident),
    }
    return {
        "world": world,
        "fingerprints": fingerprints,
        "routes": routes,
        "urls": {
            r: routewalk.url_combos(r, routewalk.route_candidates(r, owned_b)) for r in routes if r.kwargs
        },
        "skipped": skipped,
        "owned_b": owned_b,
        "personas": personas,
        "owners": {
            "officer": _client(world.street_officer),
            "worker_b": _client(world.b.worker),
            "resident_b": _client(world.b.resident),
        },
    }


def test_routes_are_discovered(walk):
    routes = walk["routes"]
    templates = {r.template for r in routes}
    assert "/api/v1/people/{pk}/" in templates and "/api/v1/households/" in templates
    assert any(not r.is_api for r in routes)
    assert len(routes) >= 30
    assert not [s for s in walk["skipped"] if "not a plain path" in s], walk["skipped"]
    # every route with path arguments got candidate URLs
    assert not [r.template for r, urls in walk["urls"].items() if not urls]


class Walk:
    def __init__(self, walk):
        self.fingerprints = walk["fingerprints"]
        self.failures: list[str] = []
        self.seen_by_b: set[str] = set()
        self.requests = 0

    def get(self, client, url, who):
        response, text = _get(client, url)
        self.requests += 1
        if response.status_code >= 500:
            self.failures.append(f"GET {url} as {who} -> {response.status_code}")
        return response, text

    def check(self, client, url, who) -> int:
        response, text = self.get(client, url, who)
        # A value the caller put in the URL (a search term, a code in the path) may be echoed back (a search
        # box, a language switch's "next"); that is not a leak. B's other fingerprints are still looked for.
        asked = unquote(url)
        leaked = routewalk.found_in(text, [f for f in self.fingerprints if f not in asked])
        if leaked:
            self.failures.append(f"GET {url} as {who} -> {response.status_code} shows B's {leaked}")
        return response.status_code


def test_every_route_keeps_community_b_from_community_a(walk):
    """Phase 1: B's worker, B's resident and the street officer fetch every candidate URL; the ones that answer
    them (B's objects that exist) are the ones A must not see. Phase 2: every A persona fetches those (all
    candidates where B's side saw none) and every route without arguments, with filter variants. Phase 3: A's
    worker POSTs, PUTs, PATCHes and DELETEs every route with arguments at B's objects; nothing of B's may
    change and B's objects must be refused (400/403/404/405)."""
    started = time.monotonic()
    world = walk["world"]
    w = Walk(walk)
    live: dict[routewalk.Route, list[str]] = {}
    get_served: dict[routewalk.Route, bool] = {}

    # Phase 1 — which URLs reach B's objects. Candidates come from the model the view declares (or its app's
    # models); if none of them answers B's side, every model's rows are tried.
    def probe(route, urls):
        for url in urls:
            statuses = []
            for who, client in walk["owners"].items():
                response, text = w.get(client, url, who)
                w.seen_by_b.update(routewalk.found_in(text, w.fingerprints))
                statuses.append(response.status_code)
                if 200 <= response.status_code < 400:
                    break  # one owner is enough to call it live
            if set(statuses) == {405}:
                get_served[route] = False
                return
            if any(200 <= s < 400 for s in statuses):
                live[route].append(url)

    for route, urls in list(walk["urls"].items()):
        live[route] = []
        get_served[route] = True
        probe(route, urls)
        if get_served[route] and not live[route]:
            wider = routewalk.url_combos(route, routewalk.route_candidates(route, walk["owned_b"], level=1))
            wider = [u for u in wider if u not in urls]
            walk["urls"][route] = urls + wider
            probe(route, wider)
    for route in walk["routes"]:
        if not route.kwargs:
            _, text = w.get(walk["owners"]["officer"], route.template, "officer")
            w.seen_by_b.update(routewalk.found_in(text, w.fingerprints))

    # Phase 2 — A's personas read.
    variants = _list_variants(world)
    a_status: dict[str, int] = {}
    for route in walk["routes"]:
        if route.kwargs:
            if not get_served[route]:
                continue
            urls = live[route] or walk["urls"][route]
        else:
            urls = [route.template + v for v in variants]
        for who, client in walk["personas"].items():
            for url in urls:
                status = w.check(client, url, who)
                if status == 405:
                    break
                if who == "worker_a":
                    a_status[url] = status
                if not route.kwargs and status != 200:
                    break  # filter variants only where the list is served

    # Phase 3 — A's worker writes at B's objects.
    worker_a = walk["personas"]["worker_a"]
    baseline_db = routewalk.db_fingerprint()
    baseline_b = routewalk.row_state(walk["owned_b"])
    b_seeds = routewalk.side_seeds(world.b)
    for route, urls in walk["urls"].items():
        targets = (live[route] or urls) if get_served[route] else urls
        for method in ("post", "put", "patch", "delete"):
            for i, url in enumerate(targets):
                with transaction.atomic():
                    response = getattr(worker_a, method)(url)
                    w.requests += 1
                    changed_b = None
                    if routewalk.db_fingerprint() != baseline_db:
                        after = routewalk.row_state(routewalk.owned_rows(b_seeds))
                        changed_b = sorted(
                            label
                            for label in set(after) | set(baseline_b)
                            if after.get(label) != baseline_b.get(label)
                        )
                    transaction.set_rollback(True)
                if i == 0 and response.status_code == 405:
                    break  # the route does not take this method
                if response.status_code >= 500:
                    w.failures.append(f"{method.upper()} {url} as worker_a -> {response.status_code}")
                if changed_b:
                    w.failures.append(f"{method.upper()} {url} as worker_a changed B's {changed_b}")
                foreign = url in live[route] and a_status.get(url) == 404
                if foreign and response.status_code not in REFUSALS:
                    w.failures.append(
                        f"{method.upper()} {url} (B's object) as worker_a -> {response.status_code}, "
                        f"expected one of {sorted(REFUSALS)}"
                    )

    elapsed = time.monotonic() - started
    print(f"\njurisdiction walk: {len(walk['routes'])} routes, {w.requests} requests, {elapsed:.1f}s")
    failures = w.failures
    assert not failures, "\n".join(failures[:80]) + (
        f"\n… and {len(failures) - 80} more" if len(failures) > 80 else ""
    )
    # Not vacuous: B's side did see B's ledger data, and B's objects were reached through detail URLs.
    assert set(ledger_fingerprints(world)) & w.seen_by_b, "the walk never reached B's ledger data"
    assert sum(len(v) for r, v in live.items() if r.is_api) >= 5
    unseen = sorted(set(walk["fingerprints"]) - w.seen_by_b)
    if unseen:
        print(f"fingerprints no route showed even to B's side (fine if that data has no page yet): {unseen}")


def test_anonymous_gets_no_data_from_any_route(walk):
    """Anonymous callers: pages redirect to login, the API answers 401/403, nothing carries B's (or A's) data."""
    anonymous = Client(raise_request_exception=False)
    world = walk["world"]
    # Place names are public (the resident intake form lists compounds to choose from); people and records are not.
    places = {world.a.compound.name, world.b.compound.name}
    fingerprints = [f for f in walk["fingerprints"] if f not in places]
    fingerprints += [world.a.head.name, world.a.head.phone_masked]
    failures = []
    by_status: dict[int, int] = defaultdict(int)
    for route in walk["routes"]:
        urls = walk["urls"][route][:3] if route.kwargs else [route.template]
        for url in urls:
            response, text = _get(anonymous, url)
            by_status[response.status_code] += 1
            if response.status_code >= 500:
                failures.append(f"GET {url} anonymous -> {response.status_code}")
            leaked = routewalk.found_in(text, fingerprints)
            if leaked:
                failures.append(f"GET {url} anonymous -> {response.status_code} shows {leaked}")
    assert not failures, "\n".join(failures)
