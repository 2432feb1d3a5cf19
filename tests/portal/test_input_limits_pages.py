"""The pages refuse the same over-long text as the API (engine/limits.py), as a field error on a 422 page,
with nothing written."""

from __future__ import annotations

from engine import limits
from portal.wiring import Container
from tests.builders import AN, Api, row_counts
from tests.portal.conftest import Browse, post_form


class TestPageTextLimits:
    def test_a_withdrawal_reason_over_its_limit_is_an_error_on_the_field(
        self, api: Api, browse: Browse, container: Container
    ) -> None:
        code = api.filed()
        client = browse(AN)
        rows = row_counts(container)

        page = post_form(client, f"/ho-so/{code}/rut-ho-so", {"reason": "x" * (limits.REASON + 1)})

        assert page.status_code == 422
        assert 'href="#f-reason"' in page.text
        assert f"Quá dài: tối đa {limits.REASON} ký tự (đã nhập {limits.REASON + 1})." in page.text
        assert row_counts(container) == rows
        assert api.dossier(code, AN)["status"]["code"] == 1

    def test_any_field_longer_than_any_text_may_be_is_refused_before_the_handler(
        self, api: Api, browse: Browse, container: Container
    ) -> None:
        code = api.filed()
        client = browse(AN)
        rows = row_counts(container)

        page = post_form(client, f"/ho-so/{code}/rut-ho-so", {"reason": "x" * (limits.TEXT + 1)})

        assert page.status_code == 422
        assert f"tối đa {limits.TEXT} ký tự" in page.text
        assert row_counts(container) == rows
