"""Every Subsonic method, as one slice of the one route table: `/rest/<method>` (and `<method>.view`), by GET
query or by POST form (OpenSubsonic's formPost), so each method is declared for both."""

from __future__ import annotations

from reelhouse.domain.access import Action
from reelhouse.web.compat.subsonic import browse, media, playlists, state, system
from reelhouse.web.compat.subsonic.answers import render_error
from reelhouse.web.compat.subsonic.auth import authenticate
from reelhouse.web.routing import Access, ClientApi, Handler, Route

# The address people type into a Subsonic app is the server's own; the apps add /rest themselves.
PREFIX = "/rest"
SUBSONIC = ClientApi(
    name="subsonic",
    prefix=PREFIX,
    authenticate=authenticate,
    render_error=render_error,
    optional_suffixes=(".view",),
)
_T = "subsonic"
_XML = "application/json"

_METHODS: list[tuple[str, Handler, Access | Action, str, str]] = [
    ("ping", system.ping, Access.USER, "Subsonic: check the credentials", _XML),
    ("getLicense", system.get_license, Access.USER, "Subsonic: the licence (always valid)", _XML),
    (
        "getOpenSubsonicExtensions",
        system.get_extensions,
        Access.PUBLIC,
        "Subsonic: the OpenSubsonic extensions served (no credentials needed)",
        _XML,
    ),
    ("tokenInfo", system.token_info, Access.USER, "Subsonic: whose apiKey this is", _XML),
    ("getUser", system.get_user, Access.USER, "Subsonic: the caller's own user record and roles", _XML),
    (
        "getScanStatus",
        system.get_scan_status,
        Access.USER,
        "Subsonic: whether a music library is scanning",
        _XML,
    ),
    (
        "startScan",
        system.start_scan,
        Action.MANAGE_LIBRARIES,
        "Subsonic: scan the music libraries (admins)",
        _XML,
    ),
    ("getLyricsBySongId", system.get_lyrics, Action.BROWSE, "Subsonic: a song's lyrics (songLyrics)", _XML),
    (
        "getMusicFolders",
        browse.get_music_folders,
        Action.BROWSE,
        "Subsonic: the caller's music libraries",
        _XML,
    ),
    ("getIndexes", browse.get_indexes, Action.BROWSE, "Subsonic: the artist index (folder view)", _XML),
    ("getArtists", browse.get_artists, Action.BROWSE, "Subsonic: the artist index by letter", _XML),
    ("getArtist", browse.get_artist, Action.BROWSE, "Subsonic: an artist and their albums", _XML),
    ("getAlbum", browse.get_album, Action.BROWSE, "Subsonic: an album and its songs", _XML),
    ("getSong", browse.get_song, Action.BROWSE, "Subsonic: one song", _XML),
    ("getMusicDirectory", browse.get_music_directory, Action.BROWSE, "Subsonic: a folder's children", _XML),
    ("getGenres", browse.get_genres, Action.BROWSE, "Subsonic: genres with song and album counts", _XML),
    (
        "getAlbumList",
        browse.get_album_list,
        Action.BROWSE,
        "Subsonic: albums in an order (folder view)",
        _XML,
    ),
    ("getAlbumList2", browse.get_album_list2, Action.BROWSE, "Subsonic: albums in an order", _XML),
    ("getRandomSongs", browse.get_random_songs, Action.BROWSE, "Subsonic: random songs", _XML),
    ("getSongsByGenre", browse.get_songs_by_genre, Action.BROWSE, "Subsonic: songs of a genre", _XML),
    ("search2", browse.search2, Action.BROWSE, "Subsonic: search artists, albums, songs (folder view)", _XML),
    ("search3", browse.search3, Action.BROWSE, "Subsonic: search artists, albums and songs", _XML),
    (
        "getArtistInfo2",
        browse.get_artist_info2,
        Action.BROWSE,
        "Subsonic: an artist's notes (local only)",
        _XML,
    ),
    ("getAlbumInfo2", browse.get_album_info2, Action.BROWSE, "Subsonic: an album's notes (local only)", _XML),
    (
        "stream",
        media.stream,
        Action.STREAM,
        "Subsonic: a song, original or encoded to format/maxBitRate",
        "audio/*",
    ),
    ("download", media.download, Action.DOWNLOAD, "Subsonic: the original file (download permission)", "*/*"),
    ("getCoverArt", media.get_cover_art, Action.BROWSE, "Subsonic: cover art, resized to size", "image/*"),
    ("scrobble", state.scrobble, Action.BROWSE, "Subsonic: a listen (play count and resume)", _XML),
    ("star", state.star, Action.BROWSE, "Subsonic: star songs, albums or artists", _XML),
    ("unstar", state.unstar, Action.BROWSE, "Subsonic: unstar songs, albums or artists", _XML),
    ("setRating", state.set_rating, Action.BROWSE, "Subsonic: the caller's rating of an item", _XML),
    ("getStarred2", state.get_starred2, Action.BROWSE, "Subsonic: the caller's starred items", _XML),
    ("getNowPlaying", state.get_now_playing, Action.BROWSE, "Subsonic: the caller's own playing songs", _XML),
    ("getPlaylists", playlists.get_playlists, Action.BROWSE, "Subsonic: the caller's own playlists", _XML),
    ("getPlaylist", playlists.get_playlist, Action.BROWSE, "Subsonic: one of the caller's playlists", _XML),
    (
        "createPlaylist",
        playlists.create_playlist,
        Action.BROWSE,
        "Subsonic: make a playlist, or replace one's songs",
        _XML,
    ),
    (
        "updatePlaylist",
        playlists.update_playlist,
        Action.BROWSE,
        "Subsonic: rename a playlist, add or remove songs",
        _XML,
    ),
    ("deletePlaylist", playlists.delete_playlist, Action.BROWSE, "Subsonic: delete a playlist", _XML),
    ("savePlayQueue", playlists.save_play_queue, Action.BROWSE, "Subsonic: keep the play queue", _XML),
    ("getPlayQueue", playlists.get_play_queue, Action.BROWSE, "Subsonic: the saved play queue", _XML),
]

ROUTES: tuple[Route, ...] = tuple(
    Route(verb, f"{PREFIX}/{name}", handler, summary, access, _T, produces=produces, client=SUBSONIC)
    for name, handler, access, summary, produces in _METHODS
    for verb in ("GET", "POST")
)
