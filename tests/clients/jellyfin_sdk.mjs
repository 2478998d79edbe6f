// Drives a Reelhouse server the way a TypeScript Jellyfin app does, with Jellyfin's own SDK: discover the
// server, sign in by name, list items, negotiate playback, and print what it learned as one JSON line.
// Usage: node jellyfin_sdk.mjs <base url> <username> <password>
import { Jellyfin } from '@jellyfin/sdk';
import { getItemsApi } from '@jellyfin/sdk/lib/utils/api/items-api.js';
import { getMediaInfoApi } from '@jellyfin/sdk/lib/utils/api/media-info-api.js';
import { getSystemApi } from '@jellyfin/sdk/lib/utils/api/system-api.js';
import { getUserApi } from '@jellyfin/sdk/lib/utils/api/user-api.js';
import { getUserViewsApi } from '@jellyfin/sdk/lib/utils/api/user-views-api.js';

const [base, username, password] = process.argv.slice(2);
const jellyfin = new Jellyfin({
  clientInfo: { name: 'Reelhouse SDK test', version: '1.0.0' },
  deviceInfo: { name: 'Node', id: 'node-sdk-device-1' },
});

const found = await jellyfin.discovery.getRecommendedServerCandidates(base);
const best = jellyfin.discovery.findBestServer(found);
const api = jellyfin.createApi(best ? best.address : base);
const publicInfo = (await getSystemApi(api).getPublicSystemInfo()).data;
const auth = (await getUserApi(api).authenticateUserByName({
  authenticateUserByName: { Username: username, Pw: password },
})).data;
api.accessToken = auth.AccessToken;
const userId = auth.User.Id;
const views = (await getUserViewsApi(api).getUserViews({ userId })).data;
const items = (await getItemsApi(api).getItems({
  userId, recursive: true, includeItemTypes: ['Movie'], sortBy: ['SortName'], fields: ['MediaSources'],
})).data;
const film = items.Items.find((item) => item.Name === 'Film');
const playback = (await getMediaInfoApi(api).getPostedPlaybackInfo({
  itemId: film.Id,
  userId,
  playbackInfoDto: {
    MaxStreamingBitrate: 120000000,
    DeviceProfile: {
      DirectPlayProfiles: [{ Container: 'mp4,m4v', Type: 'Video', VideoCodec: 'h264', AudioCodec: 'aac' }],
      TranscodingProfiles: [{ Container: 'ts', Type: 'Video', VideoCodec: 'h264', AudioCodec: 'aac', Protocol: 'hls' }],
    },
  },
})).data;
const source = playback.MediaSources[0];
const streamUrl = api.getUri(`/Videos/${film.Id}/stream`, {
  static: true, mediaSourceId: source.Id, api_key: api.accessToken,
});
console.log(JSON.stringify({
  discovered: best ? best.address : null,
  product: publicInfo.ProductName,
  serverId: publicInfo.Id,
  authServerId: auth.ServerId,
  user: auth.User.Name,
  views: views.Items.map((view) => [view.Name, view.CollectionType]),
  items: items.Items.map((item) => item.Name),
  total: items.TotalRecordCount,
  directPlay: source.SupportsDirectPlay,
  container: source.Container,
  streamUrl,
}));
