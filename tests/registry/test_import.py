"""Excel import of units: template, column mapping, preview with row errors in Chinese,
all-or-nothing commit, insert-or-update by credit code, jurisdiction."""

from __future__ import annotations

import io
import re

from openpyxl import Workbook, load_workbook

from firegov.kernels.uscc import make as make_uscc
from firegov.registry.models import Unit

CODE_A = make_uscc("9", "1", "370403", "MA3C00001")
CODE_B = make_uscc("9", "2", "370403", "MA3C00002")


def workbook(rows, headers=("统一社会信用代码", "单位名称", "场所类型", "所属区划", "地址", "客房数")):
    wb = Workbook()
    ws = wb.active
    ws.append(list(headers))
    for row in rows:
        ws.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    out.name = "units.xlsx"
    return out


def upload(client, rows, **kwargs):
    response = client.post("/units/import/", {"file": workbook(rows, **kwargs)})
    assert response.status_code == 200
    return response.context["token"], response.context["mapping"], response


def mapping_post(token, mapping):
    data = {"token": token}
    data.update({f"map:{k}": "" if v is None else str(v) for k, v in mapping.items()})
    return data


def test_template_downloads_with_all_columns(city, client):
    client.force_login(city.xc_supervisor)
    response = client.get("/units/import/template.xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    headers = [c.value for c in sheet[1]]
    assert headers[:3] == ["统一社会信用代码", "单位名称", "场所类型"]
    assert "客房数" in " ".join(headers)


def test_columns_are_mapped_by_header(city, client):
    client.force_login(city.xc_supervisor)
    _token, mapping, _ = upload(client, [[CODE_A, "甲", "hotel", "370403001", "路"]])
    assert mapping["uscc"] == 0 and mapping["name"] == 1 and mapping["place_type"] == 2
    assert mapping["region"] == 3 and mapping["address"] == 4


def test_preview_reports_row_errors_in_chinese_and_nothing_is_saved(city, client):
    client.force_login(city.xc_supervisor)
    before = Unit.objects.count()
    rows = [
        [CODE_A, "好的宾馆", "宾馆、饭店、旅馆", "370403001", "临城街道1号", 60],
        ["91370403MA3C0000XX", "坏代码", "hotel", "370403001", "临城街道2号", 10],
        [None, "", "hotel", "370403001", "临城街道3号", 10],
        [None, "错类型", "城堡", "370403001", "临城街道4号", None],
        [None, "越界", "hotel", "370481001", "滕州", None],
        [None, "负数", "hotel", "370403001", "临城街道5号", -1],
        [CODE_A, "重复代码", "hotel", "370403001", "临城街道6号", 10],
    ]
    token, mapping, _ = upload(client, rows)
    response = client.post("/units/import/preview/", mapping_post(token, mapping))
    results = response.context["results"]
    errors = {r.number: " ".join(r.errors) for r in results}
    assert errors[2] == ""
    assert "统一社会信用代码" in errors[3]
    assert "单位名称" in errors[4] and "不能为空" in errors[4]
    assert "场所类型" in errors[5]
    assert "辖区" in errors[6]
    assert "客房" in errors[7] or "guest_rooms" in errors[7]
    assert "重复" in errors[8]
    assert Unit.objects.count() == before
    # the commit refuses the whole file
    response = client.post("/units/import/commit/", {"token": token})
    assert Unit.objects.count() == before
    # and the error report lists every bad row with its message
    report = client.post("/units/import/errors.xlsx", {"token": token})
    rows_out = list(load_workbook(io.BytesIO(report.content)).active.iter_rows(values_only=True))
    assert [r[0] for r in rows_out[1:]] == [3, 4, 5, 6, 7, 8]


def test_commit_inserts_and_updates_by_credit_code(city, client):
    city.xc_hotel.uscc = CODE_B
    city.xc_hotel.save()
    client.force_login(city.xc_supervisor)
    rows = [
        [CODE_A, "新宾馆", "hotel", "370403001", "临城街道1号", 60],
        [CODE_B, "薛城宾馆（更名）", "hotel", "泰山路社区", "临城街道9号", 20],
        [None, "无代码小店", "small_place", "370403001001001", "临城街道10号", None],
    ]
    token, mapping, _ = upload(client, rows)
    response = client.post("/units/import/preview/", mapping_post(token, mapping))
    assert response.context["inserts"] == 2 and response.context["updates"] == 1
    response = client.post("/units/import/commit/", {"token": token})
    assert response.status_code == 302
    new = Unit.objects.get(uscc=CODE_A)
    assert new.key_unit and new.attributes == {"guest_rooms": 60}
    city.xc_hotel.refresh_from_db()
    assert city.xc_hotel.name == "薛城宾馆（更名）" and city.xc_hotel.region == city.xc_comm
    assert not city.xc_hotel.key_unit  # 20 rooms now
    assert Unit.objects.filter(name="无代码小店", region=city.xc_grid).exists()


def test_credit_code_registered_elsewhere_is_refused(city, client):
    city.tz_restaurant.uscc = CODE_B
    city.tz_restaurant.save()
    client.force_login(city.xc_supervisor)
    token, mapping, _ = upload(client, [[CODE_B, "抢注", "hotel", "370403001", "某路", None]])
    response = client.post("/units/import/preview/", mapping_post(token, mapping))
    assert "辖区之外" in " ".join(response.context["results"][0].errors)
    city.tz_restaurant.refresh_from_db()
    assert city.tz_restaurant.name == "滕州小吃店"


def test_custom_column_mapping(city, client):
    client.force_login(city.xc_supervisor)
    rows = [["宾馆甲", "hotel", "370403001", "某路1号"]]
    token, mapping, _ = upload(client, rows, headers=("名字", "类别", "街道", "位置"))
    assert mapping["name"] is None
    mapping.update({"name": 0, "place_type": 1, "region": 2, "address": 3})
    response = client.post("/units/import/preview/", mapping_post(token, mapping))
    assert not response.context["errors"]
    client.post("/units/import/commit/", {"token": token})
    assert Unit.objects.filter(name="宾馆甲").exists()


def test_import_requires_the_right_role_and_a_real_file(city, client):
    client.force_login(city.xuecheng)
    assert client.get("/units/import/").status_code == 404
    client.force_login(city.xc_supervisor)
    bad = io.BytesIO(b"not an excel file")
    bad.name = "x.xlsx"
    response = client.post("/units/import/", {"file": bad})
    assert response.status_code == 200 and re.search("Excel|xlsx", response.content.decode())
    # a token from someone else's session is refused
    assert client.post("/units/import/preview/", {"token": "deadbeef"}).status_code == 404


def test_the_supervising_department_may_be_the_citys(city, client):
    """A county imports schools supervised by the city's education bureau; another county's bureau
    is not found, as if it did not exist."""
    from firegov.core.models import Agency, AgencyKind

    Agency.objects.create(name="滕州市卫生健康局", kind=AgencyKind.DEPARTMENT, region=city.tz, sector="health")
    client.force_login(city.xc_supervisor)
    headers = ("单位名称", "场所类型", "所属区划", "地址", "行业主管部门")
    rows = [["市属学校", "school", "370403001", "临城街道2号", "枣庄市教育局"],
            ["越界医院", "hospital", "370403001", "临城街道3号", "滕州市卫生健康局"]]
    token, mapping, _ = upload(client, rows, headers=headers)
    response = client.post("/units/import/preview/", mapping_post(token, mapping))
    first, second = response.context["results"]
    assert not first.errors
    assert second.errors == ["行业主管部门“滕州市卫生健康局”不存在或不在您的辖区内"]
    token, mapping, _ = upload(client, rows[:1], headers=headers)
    client.post("/units/import/preview/", mapping_post(token, mapping))
    assert client.post("/units/import/commit/", {"token": token}).status_code == 302
    assert Unit.objects.get(name="市属学校").department == city.edu


def test_a_department_name_two_bureaus_share_is_refused_not_guessed(city, client):
    from firegov.core.models import Agency, AgencyKind

    Agency.objects.filter(pk=city.xc_edu.pk).update(short_name="教体局")
    Agency.objects.create(name="滕州市教育和体育局", short_name="教体局", kind=AgencyKind.DEPARTMENT, region=city.tz,
                          sector="education")
    client.force_login(city.zhidui)
    headers = ("单位名称", "场所类型", "所属区划", "地址", "行业主管部门")
    rows = [["某小学", "school", "370403001", "临城街道5号", "教体局"],
            ["某中学", "school", "370403001", "临城街道6号", "薛城区教育和体育局"]]
    token, mapping, _ = upload(client, rows, headers=headers)
    first, second = client.post("/units/import/preview/", mapping_post(token, mapping)).context["results"]
    assert first.errors == ["行业主管部门“教体局”不唯一（薛城区教育和体育局、滕州市教育和体育局），请写全称"]
    assert not second.errors
