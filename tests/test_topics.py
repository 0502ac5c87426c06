"""The topic taxonomy: the built-in default, files in the data folder, keyword matching and tagging."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cpdash.text import topics as t

PRODUCT_TOPICS = (
    "traffic and speeding",
    "drugs",
    "noise",
    "youth",
    "fairness and bias",
    "response time",
    "property crime",
    "violence",
    "homelessness",
    "lighting",
)


def small_taxonomy() -> t.Taxonomy:
    """Three topics with known keywords."""
    return t.Taxonomy(
        (
            t.Topic("traffic", ("speed*", "stop sign"), ("velocidad", "carro*")),
            t.Topic("noise", ("loud", "noise"), ("ruido*",)),
            t.Topic("lighting", ("light", "lights", "street light*"), ("luz", "luces")),
        ),
        "test",
    )


def tagged(
    texts: list[str], language: list[str] | None = None, taxonomy: t.Taxonomy | None = None
) -> list[set]:
    """The topic names found in each text."""
    tax = taxonomy or small_taxonomy()
    matrix = t.tag(
        pd.Series(texts, dtype="str"), tax, None if language is None else np.array(language, dtype=object)
    )
    return [{tax.names[j] for j in np.flatnonzero(row)} for row in matrix]


def test_default_taxonomy_has_the_product_topics_in_english_and_spanish() -> None:
    tax = t.default_taxonomy()
    assert tax.source == t.DEFAULT_SOURCE and not tax.problems
    for name in (*PRODUCT_TOPICS, "parking"):
        topic = tax.topics[tax.names.index(name)]
        assert topic.english and topic.spanish, name


def test_keywords_ignore_case_and_accents_and_match_whole_words() -> None:
    found = tagged(
        [
            "SPEEDING cars on Main St",  # prefix keyword, upper case
            "They stop at the Stop  Sign now",  # phrase, any spacing
            "The speedometer is broken",  # still a prefix match: speed*
            "A lightning storm",  # 'light' is whole-word only
            "The lights are out",
            "Loudly and LOUD",
            "Street lighting is bad",  # 'street light*'
            "",
        ]
    )
    assert found == [
        {"traffic"},
        {"traffic"},
        {"traffic"},
        set(),
        {"lighting"},
        {"noise"},
        {"lighting"},
        set(),
    ]


def test_spanish_comments_are_tagged_with_spanish_keywords() -> None:
    texts = [
        "Hay mucho RUIDO por las noches",  # Spanish keyword, upper case
        "Los carros pasan a gran velocidad",
        "Las luces de la calle no funcionan",
        "Loud music every night",  # English text: English keywords
        "La música está loud",  # Spanish text: the English keyword is not used
        "Ruido and loud lights",  # another language: both lists
    ]
    found = tagged(texts, ["es", "es", "es", "en", "es", "fr"])
    assert found == [{"noise"}, {"traffic"}, {"lighting"}, {"noise"}, set(), {"noise", "lighting"}]


def test_accents_in_keywords_and_texts_are_folded() -> None:
    tax = t.Taxonomy((t.Topic("police", ("policía",), ("policía",)),), "test")
    assert tagged(["La POLICIA llegó", "la policía", "policial"], ["es", "es", "es"], tax) == [
        {"police"},
        {"police"},
        set(),
    ]
    assert t.fold_text("Ñandú Árbol") == "nandu arbol"


def test_keyword_pattern() -> None:
    assert t.keyword_pattern([]) is None
    assert t.keyword_pattern([" ", "*"]) is None
    pattern = t.keyword_pattern(["a.b", "c*"])
    assert "a\\.b" in pattern and "c\\w*" in pattern


def test_split_keywords() -> None:
    assert t.split_keywords(" speed* ; stop  sign;;SPEED*; ") == ("speed*", "stop sign")
    assert t.split_keywords(["a", " b "]) == ("a", "b")
    assert t.split_keywords(None) == () and t.split_keywords(float("nan")) == ()


def test_taxonomy_from_a_csv_file_in_the_data_folder(tmp_path: Path) -> None:
    (tmp_path / "topics.csv").write_text(
        "topic,keywords_en,keywords_es\n"
        "graffiti,graffiti; tag*,grafiti\n"
        "dogs,dog*; barking,perro*\n"
        ",orphan,\n"
        "empty,,\n"
        "Dogs,again,\n",
        encoding="utf-8",
    )
    tax = t.load_taxonomy(tmp_path)
    assert tax.names == ["graffiti", "dogs"]
    assert tax.source == "topics.csv in the data folder"
    assert tax.topics[1] == t.Topic("dogs", ("dog*", "barking"), ("perro*",))
    assert len(tax.problems) == 3  # no name, no keywords, a repeat
    assert tagged(["Graffiti and barking dogs"], taxonomy=tax) == [{"graffiti", "dogs"}]


def test_taxonomy_from_a_json_file(tmp_path: Path) -> None:
    (tmp_path / "topics.json").write_text(
        json.dumps({"topics": [{"topic": "dogs", "en": ["dog*"], "es": ["perro*"]}]}), encoding="utf-8"
    )
    assert t.load_taxonomy(tmp_path).names == ["dogs"]
    (tmp_path / "topics.json").write_text(json.dumps({"dogs": {"en": "dog*; barking"}}), encoding="utf-8")
    assert t.load_taxonomy(tmp_path).topics[0].english == ("dog*", "barking")


@pytest.mark.parametrize(
    ("name", "content"),
    [("topics.json", "{not json"), ("topics.json", "42"), ("topics.csv", "topic,keywords_en\n,\n")],
)
def test_a_bad_taxonomy_file_falls_back_to_the_default_and_says_why(
    tmp_path: Path, name: str, content: str
) -> None:
    (tmp_path / name).write_text(content, encoding="utf-8")
    tax = t.load_taxonomy(tmp_path)
    assert tax.names == t.default_taxonomy().names
    assert tax.problems and name in tax.problems[0]


def test_no_file_or_no_folder_gives_the_default(tmp_path: Path) -> None:
    assert t.load_taxonomy(tmp_path).source == t.DEFAULT_SOURCE
    assert t.load_taxonomy(tmp_path / "missing").names == t.default_taxonomy().names
    assert t.load_taxonomy(None).names == t.default_taxonomy().names


def test_the_downloaded_taxonomy_reads_back_the_same(tmp_path: Path) -> None:
    frame = t.taxonomy_frame(t.default_taxonomy())
    assert list(frame.columns) == ["topic", "keywords_en", "keywords_es"]
    frame.to_csv(tmp_path / "topics.csv", index=False)
    again = t.load_taxonomy(tmp_path)
    assert again.topics == t.default_taxonomy().topics
    assert again.signature == t.default_taxonomy().signature


def test_signature_changes_with_the_keywords() -> None:
    a = small_taxonomy()
    b = t.Taxonomy((*a.topics[:2], t.Topic("lighting", ("lamp",), ())), "test")
    assert a.signature != b.signature


def test_concerns_keep_their_own_topic_else_get_keywords() -> None:
    concerns = pd.DataFrame(
        {
            "topic": ["Noise", "traffic", "other", "misc"],
            "summary": ["Loud parties", "Speeding on Elm", "Streetlights out, it is dark", "Hay mucho ruido"],
        }
    )
    matrix = t.tag_concerns(concerns, small_taxonomy())
    names = small_taxonomy().names
    assert [{names[j] for j in np.flatnonzero(row)} for row in matrix] == [
        {"noise"},
        {"traffic"},
        set(),  # 'streetlights' is not 'street light*' and not 'lights'
        {"noise"},  # Spanish, detected from the text
    ]
    assert t.tag_concerns(None, small_taxonomy()).shape == (0, 3)


def test_combinations() -> None:
    matrix = np.array([[1, 0], [0, 0], [1, 0], [1, 1]], dtype=bool)
    codes, combos = t.combinations(matrix)
    assert (combos[codes] == matrix).all()
    assert len(combos) == 3


def test_a_topics_file_is_not_reported_as_an_unknown_table(tmp_path: Path) -> None:
    from cpdash.data.readers import find_table_files

    (tmp_path / "events.csv").write_text("event_id,start,program,area_id\n", encoding="utf-8")
    (tmp_path / "topics.csv").write_text(
        "topic,keywords_en,keywords_es\ndogs,dog*,perro*\n", encoding="utf-8"
    )
    (tmp_path / "notes.csv").write_text("a\n1\n", encoding="utf-8")
    files, warnings = find_table_files(tmp_path)
    assert set(files) == {"events"}
    assert warnings == ["files not named after a table were ignored: notes.csv"]
