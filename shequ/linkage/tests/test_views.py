"""Linkage pages: the queue and the review page (side by side, differences, contributions, decisions), merges with
undo, split; every page scoped (another community's object → 404 and nothing changed)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from shequ.imports.models import ImportRow
from shequ.ledger.models import GroupTag, Person
from shequ.linkage.models import LinkRun, Merge, ReviewDecision, ReviewItem
from shequ.linkage.testing import duplicate_of, import_row, queue_people, queue_row

pytestmark = pytest.mark.django_db


@pytest.fixture
def items(world):
    out = {}
    for key, side, name in (("a", world.a, "张卫"), ("b", world.b, "章玮乙")):
        row = import_row(
            actor=side.worker,
            community=side.community,
            dwelling=side.dwellings[0],
            name=name,
            birth=side.head.birth_date,
        )
        out[f"row_{key}"] = queue_row(row, side.head, probability=0.8)
        twin = duplicate_of(side.spouse, name=f"{side.spouse.name}重")
        out[f"pair_{key}"] = queue_people(side.spouse, twin, probability=0.6)
    return out


def test_queue_lists_only_own_community(client_a, items, django_assert_max_num_queries):
    with django_assert_max_num_queries(20):
        response = client_a.get(reverse("linkage:queue"))
    text = response.content.decode()
    assert response.status_code == 200
    assert items["row_a"].number in text and "张卫" in text
    assert items["row_b"].number not in text and "章玮乙" not in text


def test_queue_query_count_does_not_grow_with_items(client_a, world, django_assert_max_num_queries):
    for i in range(12):
        row = import_row(actor=world.a.worker, community=world.a.community, name=f"某{i}")
        queue_row(row, world.a.head)
    with django_assert_max_num_queries(20):
        assert client_a.get(reverse("linkage:queue")).status_code == 200


def test_review_page_shows_pair_differences_and_contributions(client_a, items, world):
    item = items["row_a"]
    response = client_a.get(reverse("linkage:review", args=[item.number]))
    text = response.content.decode()
    assert response.status_code == 200
    assert "80.0%" in text
    assert 'data-field="name"' in text and "diff-differs" in text  # 张卫 vs 张伟
    assert "同音(拼音相同)" in text and "bar w100" in text  # the strongest contribution fills its half
    assert world.a.head.id_number_masked in text
    assert 'name="decision" value="match"' in text and "linkage/review.js" in text
    assert "<script>" not in text  # no inline script (CSP)


def test_volunteer_and_other_community_get_404(client_for, client_a, items, world):
    assert client_for(world.a.volunteer).get(reverse("linkage:queue")).status_code == 404
    assert client_a.get(reverse("linkage:review", args=[items["row_b"].number])).status_code == 404


def test_decide_match_then_next_item(client_a, items):
    item = items["pair_a"]  # lower probability: the row item comes first in the queue
    response = client_a.post(reverse("linkage:decide", args=[items["row_a"].number]), {"decision": "match"})
    assert response.status_code == 302 and response["Location"].endswith(f"/review/{item.number}/")
    row = ImportRow.objects.get(pk=items["row_a"].row_id)
    assert row.person_id == items["row_a"].person_id


def test_decide_on_other_community_is_404_and_changes_nothing(client_a, items):
    for key in ("row_b", "pair_b"):
        item = items[key]
        response = client_a.post(reverse("linkage:decide", args=[item.number]), {"decision": "match"})
        assert response.status_code == 404
        item.refresh_from_db()
        assert item.status == "open"
    assert not ReviewDecision.objects.exists() and not Merge.objects.exists()


def test_bad_decision_is_a_message_not_a_500(client_a, items):
    response = client_a.post(reverse("linkage:decide", args=[items["row_a"].number]), {"decision": "perhaps"})
    assert response.status_code == 400
    assert "判断无效" in response.content.decode()
    items["row_a"].refresh_from_db()
    assert items["row_a"].status == "open"


def test_pair_match_merges_shows_household_and_undo(client_a, items, world):
    item = items["pair_a"]
    response = client_a.post(reverse("linkage:decide", args=[item.number]), {"decision": "match"})
    merge = Merge.objects.get(review_item=item)
    assert response.status_code == 302 and response["Location"] == reverse(
        "linkage:merge", args=[merge.number]
    )
    page = client_a.get(response["Location"]).content.decode()
    assert reverse("ledger:household", args=[world.a.household.pk]) in page and "撤销合并" in page
    response = client_a.post(reverse("linkage:merge_undo", args=[merge.number]))
    assert response.status_code == 302
    merge.refresh_from_db()
    assert merge.is_undone
    assert Person.objects.get(pk=merge.drop_id).merged_into_id is None


def test_merge_pages_of_other_community_are_404_and_undo_changes_nothing(client_a, client_b, items):
    client_b.post(reverse("linkage:decide", args=[items["pair_b"].number]), {"decision": "match"})
    merge = Merge.objects.get(review_item=items["pair_b"])
    assert client_a.get(reverse("linkage:merge", args=[merge.number])).status_code == 404
    assert client_a.post(reverse("linkage:merge_undo", args=[merge.number])).status_code == 404
    merge.refresh_from_db()
    assert not merge.is_undone
    assert merge.number not in client_a.get(reverse("linkage:merges")).content.decode()


def test_split_page(client_a, world):
    person = world.a.elder
    url = reverse("linkage:split", args=[person.pk])
    page = client_a.get(url).content.decode()
    assert "独居老人" in page
    response = client_a.post(url, {"name": "刘某"})
    assert response.status_code == 400 and "请至少选择一项" in response.content.decode()
    tag = GroupTag.objects.get(person=person)
    response = client_a.post(url, {"name": "刘某", "sex": "F", "tags": [str(tag.pk)]})
    assert response.status_code == 302
    assert GroupTag.objects.get(pk=tag.pk).person.name == "刘某"


def test_split_other_community_is_404(client_a, world):
    url = reverse("linkage:split", args=[world.b.elder.pk])
    tag = GroupTag.objects.get(person=world.b.elder)
    assert client_a.get(url).status_code == 404
    assert client_a.post(url, {"name": "某", "tags": [str(tag.pk)]}).status_code == 404
    assert GroupTag.objects.get(pk=tag.pk).person_id == world.b.elder.pk


def test_scan_of_other_community_is_refused(client_a, world):
    response = client_a.post(reverse("linkage:scan"), {"community": str(world.b.community.pk)})
    assert response.status_code == 302
    assert not LinkRun.objects.exists()


def test_run_page_and_progress_fragment(client_a, client_b, world):
    run = LinkRun.objects.create(
        number="CC-TEST-1", kind="dedupe", place=world.a.community, status="running", progress=40
    )
    page = client_a.get(reverse("linkage:run", args=[run.number]))
    assert (
        page.status_code == 200
        and 'value="40"' in page.content.decode()
        and "every 2s" in page.content.decode()
    )
    fragment = client_a.get(
        reverse("linkage:run", args=[run.number]), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert fragment.lstrip().startswith("<section")
    assert client_b.get(reverse("linkage:run", args=[run.number])).status_code == 404


def test_next_goes_to_best_open_item(client_a, items):
    response = client_a.get(reverse("linkage:next"))
    assert response["Location"] == reverse("linkage:review", args=[items["row_a"].number])
    ReviewItem.objects.filter(status="open").update(status="skipped")
    assert client_a.get(reverse("linkage:next"))["Location"] == reverse("linkage:queue")


def test_merge_a_duplicate_found_by_search(client_a, world):
    a = world.a
    twin = duplicate_of(a.head, name="张卫")
    url = reverse("linkage:merge_person", args=[a.head.pk])
    page = client_a.post(url, {"q": "张卫"}).content.decode()
    assert "张卫" in page and f'value="{twin.pk}"' in page
    response = client_a.post(url, {"drop": str(twin.pk)})
    merge = Merge.objects.get()
    assert response["Location"] == reverse("linkage:merge", args=[merge.number])
    assert Person.objects.get(pk=twin.pk).merged_into_id == a.head.pk


def test_merge_page_refuses_other_community(client_a, world):
    b = world.b
    assert client_a.get(reverse("linkage:merge_person", args=[b.head.pk])).status_code == 404
    response = client_a.post(
        reverse("linkage:merge_person", args=[world.a.head.pk]), {"drop": str(b.spouse.pk)}
    )
    assert response.status_code == 400
    assert Person.objects.get(pk=b.spouse.pk).merged_into_id is None and not Merge.objects.exists()
    page = client_a.post(
        reverse("linkage:merge_person", args=[world.a.head.pk]), {"q": b.head.name}
    ).content.decode()
    assert f'value="{b.head.pk}"' not in page


def test_review_page_query_count_is_pinned(client_a, items, django_assert_max_num_queries):
    for key in ("row_a", "pair_a"):
        with django_assert_max_num_queries(16):
            assert client_a.get(reverse("linkage:review", args=[items[key].number])).status_code == 200


def test_finished_run_offers_review_of_what_it_left_open_even_with_no_row_waiting(client_a, world):
    """A batch whose own duplicates left only a person↔person question counts no row under review; its page still
    says a question is open and offers to start reviewing."""
    run = LinkRun.objects.create(
        number="CC-TEST-2", kind="batch", place=world.a.community, status="done", progress=100, review=0
    )
    url = reverse("linkage:run", args=[run.number])
    assert "开始核对" not in client_a.get(url).content.decode()
    queue_people(world.a.head, world.a.spouse, run=run)
    page = client_a.get(url).content.decode()
    assert "本次比对留下 1 个待核对的问题" in page and reverse("linkage:next") in page
