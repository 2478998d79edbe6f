"""Trailers kept beside a movie are its extras; an album's release type and compilation flag come from tags."""

from __future__ import annotations

from pathlib import Path

from mutagen.flac import FLAC
from mutagen.id3 import ID3, TXXX
from mutagen.mp4 import MP4, MP4FreeForm

from reelhouse.domain.access import system_actor
from reelhouse.domain.library import LibraryKind
from reelhouse.persistence.catalogue import CatalogueRepository
from reelhouse.persistence.database import Database
from tests.scanner.rows import items, one


def _listed_extras(db: Database, movie_id: str) -> list[tuple[str, str | None]]:
    with db.read() as conn:
        detail = CatalogueRepository().get(conn, system_actor().scope, movie_id)
    assert detail is not None
    return [(e.title, e.extra_type) for e in detail.extras]


def test_a_trailer_named_after_its_movie_is_the_movies_extra(db, scanner, library_factory, media_kit):
    library = library_factory(LibraryKind.MOVIES)
    root = Path(library.roots[0])
    media_kit.video_at(root / "Heat (1995)" / "Heat (1995).mp4")
    media_kit.video_at(root / "Heat (1995)" / "Heat (1995)-trailer.mp4")
    # Loose in the root, beside its movie, as Plex and Jellyfin also accept.
    media_kit.video_at(root / "Ronin (1998).mkv")
    media_kit.video_at(root / "Ronin (1998)-trailer.mkv")
    scanner.scan(library)
    movies = items(db, "movie")
    assert [(m["title"], m["year"]) for m in movies] == [("Heat", 1995), ("Ronin", 1998)]
    trailers = items(db, "extra")
    assert {t["parent_id"] for t in trailers} == {m["id"] for m in movies}
    assert {t["extra"]["extra_type"] for t in trailers} == {"trailer"}
    for movie in movies:
        assert _listed_extras(db, movie["id"]) == [("Trailer", "trailer")]


def test_files_in_a_trailers_folder_or_named_trailer_are_trailers(db, scanner, library_factory, media_kit):
    library = library_factory(LibraryKind.MOVIES)
    root = Path(library.roots[0])
    media_kit.video_at(root / "Film (2010)" / "Film (2010).mp4")
    media_kit.video_at(root / "Film (2010)" / "Trailers" / "Teaser.mp4")
    media_kit.video_at(root / "Film (2010)" / "trailer.mp4")
    media_kit.video_at(root / "Film (2010)" / "Featurettes" / "Making Of.mp4")
    scanner.scan(library)
    movie = one(db, "movie")
    assert (movie["title"], movie["year"]) == ("Film", 2010)
    assert _listed_extras(db, movie["id"]) == [
        ("Making Of", "featurettes"),
        ("Teaser", "trailer"),
        ("Trailer", "trailer"),
    ]


def _tag_mp3(path: Path, release_type: str) -> None:
    id3 = ID3(path)
    id3.add(TXXX(encoding=3, desc="MusicBrainz Album Type", text=[release_type]))
    id3.save(path)


def _tag_flac(path: Path, release_type: str) -> None:
    audio = FLAC(path)
    audio["RELEASETYPE"] = release_type
    audio.save()


def test_release_type_and_compilation_are_kept_on_the_album(db, scanner, library_factory, media_kit):
    library = library_factory(LibraryKind.MUSIC)
    root = Path(library.roots[0])
    for number in (1, 2):
        track = media_kit.audio_at(
            root / f"ep{number}.mp3", title=f"E{number}", artist="Band", album="Short One", track=number
        )
        # The second track says nothing: the album keeps what the first one states.
        if number == 1:
            _tag_mp3(track, "ep")
    single = media_kit.audio_at(root / "s.flac", title="S", artist="Band", album="Lone Song")
    _tag_flac(single, "Single; Live")
    hits = media_kit.audio_at(root / "h.flac", title="H", artist="A", album="Hits", compilation=True)
    _tag_flac(hits, "album/compilation")
    hits_mp3 = media_kit.audio_at(root / "h2.mp3", title="H2", artist="B", album="Hits", compilation=True)
    _tag_mp3(hits_mp3, "album")
    broadcast = media_kit.audio_at(root / "b.m4a", title="B", artist="Band", album="On Air")
    tags = MP4(broadcast)
    tags["----:com.apple.iTunes:MusicBrainz Album Type"] = [MP4FreeForm(b"broadcast")]
    tags.save()
    scanner.scan(library)
    albums = {a["title"]: a["extra"] for a in items(db, "album")}
    assert albums == {
        "On Air": {"release_type": "broadcast"},
        "Short One": {"release_type": "ep"},
        "Lone Song": {"release_type": "single"},
        "Hits": {"release_type": "album", "compilation": True},
    }


def test_a_compilations_album_artist_wins_over_various_artists(db, scanner, library_factory, media_kit):
    library = library_factory(LibraryKind.MUSIC)
    root = Path(library.roots[0])
    for number, artist in ((1, "A"), (2, "B")):
        media_kit.audio_at(
            root / f"{number}.mp3",
            title=f"T{number}",
            artist=artist,
            album_artist="DJ Mixer",
            album="The Mix",
            compilation=True,
        )
    scanner.scan(library)
    assert one(db, "artist")["title"] == "DJ Mixer"
    album = one(db, "album")
    assert album["extra"] == {"compilation": True}
    assert {t["extra"]["artist"] for t in items(db, "track")} == {"A", "B"}
