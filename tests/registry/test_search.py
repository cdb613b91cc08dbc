"""Unit search by name, address and credit code, through the API, the page and the bigram table."""

from __future__ import annotations

import io

from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from firegov.kernels.uscc import make as make_uscc
from firegov.registry.models import Unit, UnitBigram
from firegov.registry.search import matching
from tests.conftest import make_unit

NAMES = ["华联超市", "银座超市临城店", "KTV欢唱城", "市中区幼儿园", "超群五金店", "临城宾馆"]


def names(api, term, **params):
    body = api.get("/api/units/", {"q": term, **params}).json()
    return sorted(u["name"] for u in body["results"])


def test_search_finds_names_and_addresses_by_any_part(city, api_for):
    for number, name in enumerate(NAMES):
        make_unit(city.xc_comm, name, "small_place", address=f"薛城区人民路{number}号")
    api = api_for(city.xuecheng)
    assert names(api, "超市") == ["华联超市", "银座超市临城店"]
    assert names(api, " 临城 ") == ["临城宾馆", "银座超市临城店"]
    assert names(api, "幼儿园") == ["市中区幼儿园"]
    assert names(api, "ktv") == ["KTV欢唱城"]  # any case
    assert names(api, "超") == ["华联超市", "超群五金店", "银座超市临城店"]  # one character: no index
    assert names(api, "人民路5号") == ["临城宾馆"]  # the address (the fixture's units are on other roads)
    assert names(api, "超市店") == []
    assert names(api, "市超") == []


def test_search_matches_credit_codes_by_their_start(city, api_for):
    code = make_uscc("9", "1", "370403", "MA3C12345")
    make_unit(city.xc_comm, "有代码的单位", "small_place", uscc=code)
    api = api_for(city.xuecheng)
    assert names(api, code[:8]) == ["有代码的单位"]
    assert names(api, code[:8].lower()) == ["有代码的单位"]
    assert names(api, code[4:12]) == []  # a code is matched from its start only


def test_search_gives_exactly_what_a_plain_infix_match_gives(city):
    """Every substring of every name and address: the index narrows, it never loses or adds."""
    for name in NAMES:
        make_unit(city.xc_comm, name, "small_place")
    units = Unit.objects.all()
    terms = {text[i:j] for u in units for text in (u.name, u.address)
             for i in range(len(text)) for j in range(i + 1, min(len(text), i + 6) + 1)}
    for term in sorted(terms):
        plain = {u.pk for u in units if term.upper() in u.name.upper() or term.upper() in u.address.upper()}
        assert set(matching(units, term).values_list("pk", flat=True)) == plain, term


def test_a_word_of_two_ideographs_is_found_by_its_key_alone(city, api_for):
    """No infix match beside the key: with it PostgreSQL misjudged common words and read every
    unit (bench/units_list.py, q=超市). Longer terms are still confirmed by the infix match."""
    for name in NAMES:
        make_unit(city.xc_comm, name, "small_place")
    api = api_for(city.xuecheng)
    with CaptureQueriesContext(connection) as captured:
        assert names(api, "超市") == ["华联超市", "银座超市临城店"]
    assert not any("LIKE" in q["sql"].upper() for q in captured.captured_queries)
    with CaptureQueriesContext(connection) as captured:
        assert names(api, "超市店") == []
    assert any("LIKE" in q["sql"].upper() for q in captured.captured_queries)


def test_renaming_a_unit_moves_it_in_the_search(city, api_for):
    unit = make_unit(city.xc_comm, "临城旅社", "hotel", address="薛城区泰山路8号")
    api = api_for(city.xuecheng)
    assert names(api, "旅社") == ["临城旅社"]
    response = api.patch(f"/api/units/{unit.pk}/", {"name": "临城大酒店", "address": "薛城区黄河路2号"},
                         format="json")
    assert response.status_code == 200
    assert names(api, "旅社") == [] and names(api, "泰山路8") == []
    assert names(api, "酒店") == ["临城大酒店"] and names(api, "黄河路") == ["临城大酒店"]
    keys = set(UnitBigram.objects.filter(unit=unit).values_list("bigram", flat=True))
    assert "旅社" not in keys and {"大酒", "酒店", "黄河"} <= keys


def test_the_search_reads_the_key_table(city, api_for):
    """A unit written around Unit.save() has no keys, so a search cannot find it until the keys are
    rebuilt: proof that the search goes through the index (and that reindex_search repairs it)."""
    Unit.objects.bulk_create([Unit(name="批量写入超市", address="薛城区", region=city.xc_comm,
                                   region_path=city.xc_comm.path, place_type="small_place")])
    api = api_for(city.xuecheng)
    with CaptureQueriesContext(connection) as captured:
        assert names(api, "超市") == []
    assert any("registry_unitbigram" in q["sql"] for q in captured.captured_queries)
    assert names(api, "超") == ["批量写入超市"]  # one character is matched without the index
    out = io.StringIO()
    call_command("reindex_search", stdout=out)
    assert "search keys written" in out.getvalue()
    assert names(api, "超市") == ["批量写入超市"]


def test_search_stays_within_the_users_scope(city, api_for, client):
    make_unit(city.tz_comm, "滕州超市", "small_place")
    make_unit(city.xc_comm, "薛城超市", "small_place")
    assert names(api_for(city.xuecheng), "超市") == ["薛城超市"]
    assert names(api_for(city.zhidui), "超市") == ["滕州超市", "薛城超市"]
    client.force_login(city.tengzhou)
    html = client.get("/units/", {"q": "超市"}).content.decode()
    assert "滕州超市" in html and "薛城超市" not in html


def test_deleting_a_unit_drops_its_keys(city):
    unit = make_unit(city.xc_comm, "将被删除的超市", "small_place")
    assert UnitBigram.objects.filter(unit=unit).exists()
    unit_id = unit.pk
    unit.delete()
    assert not UnitBigram.objects.filter(unit_id=unit_id).exists()
