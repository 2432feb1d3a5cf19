"""Every string of the portal has its English, and the English pages really are in English."""

from __future__ import annotations

from portal.i18n import extract, missing_translations, translations, use_locale
from portal.web import money, vn_date, vn_datetime


def test_every_template_and_page_string_has_an_english_translation() -> None:
    missing = missing_translations("en")

    assert not missing, (
        "untranslated strings (run `python -m portal.i18n update`, then write the English):\n"
        + ("\n".join(f"  {msgid!r} at {', '.join(places)}" for msgid, places in sorted(missing.items())))
    )


def test_the_catalogs_cover_the_layout_and_its_areas() -> None:
    areas = extract()

    assert {"base", "account", "public"} <= set(areas)
    assert "Bỏ qua để đến nội dung chính" in areas["base"]  # the skip link every page starts with


def test_translations_follow_the_request_language() -> None:
    english = translations("en")

    assert english.gettext("Đăng xuất") == "Sign out"
    use_locale("en")
    try:
        assert money(0) == "Free of charge"
    finally:
        use_locale("vi")
    assert money(0) == "Miễn phí"


def test_dates_are_day_month_year_in_vietnam_time() -> None:
    assert vn_datetime("2026-03-02T02:00:00+00:00") == "09:00 02/03/2026"
    assert vn_date("2026-12-31T18:30:00+00:00") == "01/01/2027"  # already the next day in Hà Nội
    assert money(1234567) == "1.234.567\u00a0đồng"  # the unit never wraps alone
