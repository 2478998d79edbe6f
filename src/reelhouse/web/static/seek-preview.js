// Seek preview thumbnails above the player's seek slider: the tile of the position under the pointer, or of the
// slider's value while it has keyboard focus. The server makes the sheets in the background; until it has, the
// manifest answers 404 and the slider simply shows no picture.
import { get } from "/static/api.js";
import { h, formatDuration } from "/static/dom.js";

// Which tile of which sheet shows second `at`, and where on its sheet (pixels from the top left).
export function tileAt(manifest, at) {
  const index = Math.max(0, Math.min(manifest.count - 1, Math.floor(at / manifest.interval)));
  const perSheet = manifest.columns * manifest.rows;
  const within = index % perSheet;
  return {
    sheet: manifest.sheets[Math.floor(index / perSheet)],
    x: (within % manifest.columns) * manifest.tile_width,
    y: Math.floor(within / manifest.columns) * manifest.tile_height,
  };
}

// Attaches to `slider` (a range input whose max is the duration in seconds) inside `holder`, which the preview
// is placed in. Returns a function that removes it.
export async function seekPreview(itemId, slider, holder) {
  let manifest;
  try {
    manifest = await get(`/api/items/${encodeURIComponent(itemId)}/seek-previews`);
  } catch {
    return () => {};
  }
  if (!manifest.count || !manifest.sheets.length || !slider.isConnected) return () => {};
  const picture = h("div", { class: "seek-preview-picture" });
  const time = h("span", { class: "seek-preview-time" });
  // The slider already says its position in words (aria-valuetext); the picture is for eyes only.
  const box = h("div", { class: "seek-preview", "aria-hidden": "true", hidden: true }, picture, time);
  // Sizes come from the manifest and are set through the CSSOM, which the CSP allows (style attributes it does not).
  picture.style.setProperty("width", `${manifest.tile_width}px`);
  picture.style.setProperty("height", `${manifest.tile_height}px`);
  holder.append(box);
  let hovering = false;
  const total = () => Number(slider.max) || 0;

  const show = (at, fraction) => {
    if (!total()) return;
    const tile = tileAt(manifest, at);
    picture.style.setProperty("background-image", `url(${JSON.stringify(tile.sheet)})`);
    picture.style.setProperty("background-position", `-${tile.x}px -${tile.y}px`);
    picture.dataset.tile = `${tile.sheet}#${tile.x},${tile.y}`;
    time.textContent = formatDuration(at) || "0:00";
    box.hidden = false;
    const area = holder.getBoundingClientRect();
    const bar = slider.getBoundingClientRect();
    const half = manifest.tile_width / 2;
    const centre = bar.left - area.left + fraction * bar.width;
    box.style.setProperty("left", `${Math.max(0, Math.min(area.width - manifest.tile_width, centre - half))}px`);
  };
  const fromPointer = (event) => {
    const bar = slider.getBoundingClientRect();
    const fraction = Math.max(0, Math.min(1, (event.clientX - bar.left) / (bar.width || 1)));
    hovering = true;
    show(fraction * total(), fraction);
  };
  const fromValue = () => {
    if (hovering || !total()) return;
    show(Number(slider.value), Number(slider.value) / total());
  };
  const hide = () => {
    hovering = false;
    if (document.activeElement === slider && slider.matches(":focus-visible")) fromValue();
    else box.hidden = true;
  };
  slider.addEventListener("pointermove", fromPointer);
  slider.addEventListener("pointerleave", hide);
  slider.addEventListener("focus", fromValue);
  slider.addEventListener("input", fromValue);
  slider.addEventListener("keyup", fromValue);
  slider.addEventListener("blur", () => { if (!hovering) box.hidden = true; });
  return () => box.remove();
}
