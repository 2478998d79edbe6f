"""NFO sidecars: the fields Kodi writes, and hostile content that must stay inert text or be refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelhouse.errors import MediaError
from reelhouse.media.nfo import MAX_NFO_BYTES, Nfo, read_nfo


def _nfo(tmp_path: Path, content: str | bytes) -> Path:
    path = tmp_path / "movie.nfo"
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def test_kodi_movie_fields_are_read(tmp_path: Path) -> None:
    path = _nfo(
        tmp_path,
        """<?xml version="1.0" encoding="UTF-8"?>
<movie><title>Film</title><year>2010</year><plot>Plot.</plot><mpaa>PG-13</mpaa>
<ratings><rating name="imdb"><value>6.1</value></rating><rating name="tmdb" default="true"><value>7.25</value>
</rating></ratings><genre>Drama / Comedy</genre><genre>Drama</genre><tag>kids</tag></movie>""",
    )
    assert read_nfo(str(path)) == Nfo("Film", 2010, "Plot.", 7.25, "PG-13", ("Drama", "Comedy"), ("kids",))


def test_show_and_episode_roots_are_accepted_and_premiered_gives_the_year(tmp_path: Path) -> None:
    assert read_nfo(
        str(_nfo(tmp_path, "<tvshow><title>S</title><premiered>2019-05-01</premiered></tvshow>"))
    ) == Nfo(title="S", year=2019, premiered="2019-05-01")
    assert read_nfo(
        str(_nfo(tmp_path, "<episodedetails><title>E</title><aired>2020-01-02</aired></episodedetails>"))
    ) == Nfo(title="E", year=2020, premiered="2020-01-02")


def test_other_root_elements_are_ignored(tmp_path: Path) -> None:
    assert read_nfo(str(_nfo(tmp_path, "<album><title>A</title></album>"))) is None


def test_script_tags_stay_text_and_are_not_parsed_as_markup(tmp_path: Path) -> None:
    path = _nfo(
        tmp_path,
        "<movie><title>&lt;script&gt;alert(1)&lt;/script&gt;</title>"
        "<plot><![CDATA[<img src=x onerror=alert(1)>]]></plot></movie>",
    )
    parsed = read_nfo(str(path))
    assert parsed is not None
    assert parsed.title == "<script>alert(1)</script>" and parsed.plot == "<img src=x onerror=alert(1)>"


def test_nested_markup_in_a_field_gives_no_text(tmp_path: Path) -> None:
    parsed = read_nfo(str(_nfo(tmp_path, "<movie><title><script>alert(1)</script></title></movie>")))
    assert parsed == Nfo()


def test_huge_fields_are_cut_to_their_limits(tmp_path: Path) -> None:
    genres = "".join(f"<genre>g{n}</genre>" for n in range(500))
    path = _nfo(
        tmp_path,
        f"<movie><title>{'t' * 5000}</title><plot>{'p' * 50_000}</plot>{genres}"
        f"<mpaa>{'m' * 100}</mpaa></movie>",
    )
    parsed = read_nfo(str(path))
    assert parsed is not None
    assert (len(parsed.title or ""), len(parsed.plot or ""), len(parsed.content_rating or "")) == (
        512,
        20_000,
        32,
    )
    assert len(parsed.genres) == 50


def test_a_file_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    path = _nfo(tmp_path, "<movie><title>Big</title><plot>" + "x" * MAX_NFO_BYTES + "</plot></movie>")
    with pytest.raises(MediaError, match="NFO refused: larger than"):
        read_nfo(str(path))


def test_invalid_utf8_is_refused_as_a_media_error(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="not well-formed"):
        read_nfo(str(_nfo(tmp_path, b"<movie><title>\xff\xfe bad</title></movie>")))


def test_latin1_declared_encoding_is_decoded(tmp_path: Path) -> None:
    path = _nfo(
        tmp_path,
        '<?xml version="1.0" encoding="ISO-8859-1"?><movie><title>Am\xe9lie</title></movie>'.encode(
            "latin-1"
        ),
    )
    assert read_nfo(str(path)) == Nfo(title="Amélie")


def test_control_characters_are_removed(tmp_path: Path) -> None:
    assert read_nfo(str(_nfo(tmp_path, "<movie><title>A&#x9;B\x7fC</title></movie>"))) == Nfo(title="A\tBC")
    with pytest.raises(MediaError, match="not well-formed"):
        read_nfo(str(_nfo(tmp_path, b"<movie><title>A\x01B</title></movie>")))


def test_billion_laughs_is_refused(tmp_path: Path) -> None:
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">' for n in range(1, 10)
    )
    path = _nfo(
        tmp_path, f'<?xml version="1.0"?><!DOCTYPE movie [{entities}]><movie><title>&lol9;</title></movie>'
    )
    with pytest.raises(MediaError, match="entities"):
        read_nfo(str(path))


def test_external_entities_are_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    path = _nfo(
        tmp_path,
        f'<?xml version="1.0"?><!DOCTYPE movie [<!ENTITY x SYSTEM "file://{secret}">]>'
        "<movie><title>&x;</title></movie>",
    )
    with pytest.raises(MediaError, match="entities"):
        read_nfo(str(path))


def test_out_of_range_ratings_and_years_are_dropped(tmp_path: Path) -> None:
    path = _nfo(tmp_path, "<movie><title>T</title><rating>99</rating><year>1066</year></movie>")
    assert read_nfo(str(path)) == Nfo(title="T")


def test_link_only_text_and_absent_files_give_none(tmp_path: Path) -> None:
    assert read_nfo(str(_nfo(tmp_path, "https://www.imdb.com/title/tt0113277/"))) is None
    assert read_nfo(str(_nfo(tmp_path, "  Release by GROUP\n  ~~~ ascii art ~~~\n"))) is None
    assert read_nfo(str(tmp_path / "absent.nfo")) is None


def test_broken_xml_is_refused_with_a_reason(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="NFO refused: not well-formed XML"):
        read_nfo(str(_nfo(tmp_path, "<movie><title>Cut off</title><mpaa>R</mp")))


def test_a_link_after_the_document_is_accepted_as_kodi_does(tmp_path: Path) -> None:
    path = _nfo(tmp_path, "<movie><mpaa>R</mpaa></movie>\nhttps://www.imdb.com/title/tt0113277/\n")
    assert read_nfo(str(path)) == Nfo(content_rating="R")


def test_utf16_documents_are_still_read(tmp_path: Path) -> None:
    path = _nfo(
        tmp_path, '<?xml version="1.0" encoding="UTF-16"?><movie><mpaa>R</mpaa></movie>'.encode("utf-16")
    )
    assert read_nfo(str(path)) == Nfo(content_rating="R")


def test_kodi_details_people_set_and_ids_are_read(tmp_path: Path) -> None:
    from reelhouse.media.nfo import Person

    path = _nfo(
        tmp_path,
        "<movie><title>T</title><originaltitle>O</originaltitle><tagline>Line</tagline><runtime>95 min</runtime>"
        "<premiered>2001-02-03</premiered><studio>A / B</studio><director>D1</director><writer>W</writer>"
        "<actor><name>B</name><role>R2</role><order>x</order></actor><actor><name>A</name></actor>"
        "<actor><role>nameless</role></actor><set>Old Style Set</set><id>tt123</id></movie>",
    )
    parsed = read_nfo(str(path))
    assert parsed is not None
    assert (parsed.original_title, parsed.tagline, parsed.runtime, parsed.premiered) == (
        "O",
        "Line",
        95,
        "2001-02-03",
    )
    assert parsed.studios == ("A", "B") and parsed.collection == "Old Style Set"
    assert parsed.uniqueids == (("imdb", "tt123"),)
    # A missing or unreadable <order> falls back to the position in the file.
    assert parsed.people == (
        Person("B", "actor", "R2", 0),
        Person("A", "actor", None, 1),
        Person("D1", "director"),
        Person("W", "writer"),
    )
