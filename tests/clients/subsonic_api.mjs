// The npm `subsonic-api` package, as web and Node music apps use it, against a running server. Arguments: the
// server's address, then either an apiKey (sent by POST form) or a username and app password (token auth by
// GET). Prints one JSON line of what it saw, for tests/compat/subsonic/test_node_client.py to judge.
import { createHash } from "node:crypto";
import { SubsonicAPI } from "subsonic-api";

const [url, first, second] = process.argv.slice(2);
const api = new SubsonicAPI(
  second === undefined
    ? { url, auth: { apiKey: first }, post: true }
    : { url, auth: { username: first, password: second } },
);

function ok(answer, what) {
  if (!answer || answer.status !== "ok") {
    throw new Error(`${what}: ${JSON.stringify(answer)}`);
  }
  return answer;
}

async function bytes(response, what) {
  if (!response.ok) throw new Error(`${what}: HTTP ${response.status}`);
  const body = Buffer.from(await response.arrayBuffer());
  return {
    type: response.headers.get("content-type"),
    length: body.length,
    sha256: createHash("sha256").update(body).digest("hex"),
  };
}

const seen = {};
seen.ping = ok(await api.ping(), "ping").openSubsonic === true;
const folders = ok(await api.getMusicFolders(), "getMusicFolders").musicFolders.musicFolder;
seen.folders = folders.map((f) => f.name);
const index = ok(await api.getArtists({ musicFolderId: folders[0].id }), "getArtists").artists.index;
const artists = index.flatMap((letter) => letter.artist);
seen.artists = artists.map((a) => a.name);
const artist = ok(await api.getArtist({ id: artists.find((a) => a.name === "Ana").id }), "getArtist").artist;
seen.albums = artist.album.map((a) => a.name);
const album = ok(await api.getAlbum({ id: artist.album[0].id }), "getAlbum").album;
// The package turns `created` into a Date, as the apps built on it read it.
seen.albumCreatedIsDate = album.created instanceof Date && !Number.isNaN(album.created.getTime());
seen.songs = album.song.map((s) => s.title);
const song = album.song[0];
seen.songId = song.id;
const found = ok(await api.search3({ query: "wind" }), "search3").searchResult3;
seen.search = (found.song || []).map((s) => s.title);
seen.stream = await bytes(await api.stream({ id: song.id, format: "raw" }), "stream");
seen.cover = await bytes(await api.getCoverArt({ id: album.coverArt, size: 64 }), "getCoverArt");
ok(await api.star({ id: song.id }), "star");
const starred = ok(await api.getStarred2({}), "getStarred2").starred2;
seen.starred = (starred.song || []).map((s) => s.title);
ok(await api.unstar({ id: song.id }), "unstar");
ok(await api.scrobble({ id: song.id, submission: true }), "scrobble");
seen.playCount = ok(await api.getSong({ id: song.id }), "getSong").song.playCount;
const made = ok(
  await api.createPlaylist({ name: "From Node", songId: album.song.map((s) => s.id) }),
  "createPlaylist",
).playlist;
const playlist = ok(await api.getPlaylist({ id: made.id }), "getPlaylist").playlist;
seen.playlist = { name: playlist.name, songs: playlist.entry.map((s) => s.title), count: playlist.songCount };
ok(await api.deletePlaylist({ id: made.id }), "deletePlaylist");
const gone = await api.getPlaylist({ id: made.id });
seen.deletedCode = gone.error && gone.error.code;
console.log(JSON.stringify(seen));
