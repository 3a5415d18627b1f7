/**
 * The Cache-Tag of one cached media object, `<bucket>/<key>`: the media
 * Worker stores it on every edge-cache copy and `npm run purge` purges by it,
 * so both must build it the same way. Commas separate tags and header values
 * are bytes, so commas and anything outside printable ASCII are percent-encoded.
 */
export function cacheTagFor(bucket: string, key: string): string {
  return `${bucket}/${key}`.replace(/[^\x21-\x7e]|,/gu, (character) => encodeURIComponent(character));
}
