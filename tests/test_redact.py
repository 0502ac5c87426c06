"""Redaction of personal details in public text: e-mail addresses, phone numbers, street addresses."""

from __future__ import annotations

import pandas as pd
import pytest

from cpdash.text.redact import redact, redact_series


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Call me at 555-123-4567.", "Call me at [phone]."),
        ("My number is (312) 555-0142.", "My number is [phone]."),
        ("Text me at 312-555-1234 if you need details.", "Text me at [phone] if you need details."),
        ("Ring +44 20 7946 0958 today", "Ring [phone] today"),
        ("call 3125550123 now", "call [phone] now"),
        ("Mi número es 555-201-3344.", "Mi número es [phone]."),
        ("You can reach me at ana.lopez@example.com", "You can reach me at [email]"),
        ("Email jo12+news@mail.example.org please", "Email [email] please"),
        ("I live at 4417 W Elm St, come see.", "I live at [address], come see."),
        ("I live at 12 Oak Street.", "I live at [address]"),
        ("Flat at 12 Saint Clair Ave, Apt 4B is mine", "Flat at [address] is mine"),
        ("Vivo en 1234 W 2nd St.", "Vivo en [address]"),
    ],
)
def test_personal_details_are_replaced(text: str, expected: str):
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Package thefts from porches on the 2400 block of Elm St.",
        "Loud parties until 3 am on Elm St every weekend.",
        "Three cars were broken into on Main St.",
        "Raised on 2025-01-10 at 18:30, 40 people came.",
        "In 2024 there were 300 calls about noise.",
        "Officers were great and helpful, thank you",
    ],
)
def test_ordinary_text_is_left_alone(text: str):
    assert redact(text) == text


def test_missing_values_become_empty_text():
    assert redact(None) == ""
    assert redact(float("nan")) == ""
    assert redact(pd.NA) == ""


def test_redact_series_keeps_missing_values_and_leaves_the_input_alone():
    values = pd.Series(["mail a@b.co", None, "fine"], dtype="string")
    before = values.copy()
    out = redact_series(values)
    assert out.tolist()[0] == "mail [email]"
    assert out.isna().tolist() == [False, True, False]
    pd.testing.assert_series_equal(values, before)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Call 555-201-3344 tonight", "Call [phone] tonight"),
        ("Office: (312) 555-0199.", "Office: [phone]."),
        ("Cell +1 312 555 0199", "Cell [phone]"),
        ("Dots 312.555.0199 work too", "Dots [phone] work too"),
        ("Or 1-312-555-0199", "Or [phone]"),
        ("Or 1 (312) 555-0199", "Or [phone]"),
        ("I live at 1234 W Elm St", "I live at [address]"),
        ("Find me at 742 Evergreen Terrace!", "Find me at [address]!"),
        ("Vivo en Calle Luna 1200.", "Vivo en [address]."),
        ("Vivo en 1200 Calle Luna", "Vivo en [address]"),
        ("Escríbame: Av. Juárez #45", "Escríbame: [address]"),
        ("Write to a.b@example.com or call 312-555-0142", "Write to [email] or call [phone]"),
    ],
)
def test_common_formats_of_phone_numbers_and_addresses(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    ["Hay mucho ruido en la calle por las noches.", "La calle 5 de mayo", "We met at 7 pm, 40 people came."],
)
def test_spanish_text_without_an_address_is_left_alone(text: str) -> None:
    assert redact(text) == text


def test_redact_series_gives_what_redact_gives() -> None:
    texts = [
        "Call 555-201-3344",
        "no details here",
        "<img src=x onerror=alert(1)>",
        "x@y.org",
        "742 Evergreen Terrace",
        None,
        "",
    ]
    out = redact_series(pd.Series(texts, dtype="object"))
    assert out.tolist()[:5] == [redact(t) for t in texts[:5]]
    assert out.tolist()[2] == "<img src=x onerror=alert(1)>"  # HTML is left as text, not stripped
    assert pd.isna(out.iloc[5]) and out.iloc[6] == ""
    assert len(redact_series(pd.Series([], dtype="str"))) == 0
