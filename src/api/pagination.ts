/**
 * Limit/Marker paging for the List* operations. Items are listed in a stable order by a
 * string key; the marker names the last key returned, so a page boundary survives items
 * being added or removed between calls.
 */
import { InvalidMarkerException } from '../errors.js';

export interface Page<T> {
  items: T[];
  NextMarker?: string;
  Truncated: boolean;
}

export function paginate<T>(
  kind: string,
  sorted: readonly T[],
  keyOf: (item: T) => string,
  limit: number,
  marker: string | undefined,
): Page<T> {
  let start = 0;
  if (marker !== undefined) {
    const after = decodeMarker(kind, marker);
    start = sorted.findIndex((item) => keyOf(item) > after);
    if (start < 0) start = sorted.length;
  }
  const items = sorted.slice(start, start + limit);
  const truncated = start + items.length < sorted.length;
  const last = items[items.length - 1];
  return truncated && last !== undefined
    ? { items, NextMarker: `${kind}:${encodeURIComponent(keyOf(last))}`, Truncated: true }
    : { items, Truncated: false };
}

function decodeMarker(kind: string, marker: string): string {
  if (marker.startsWith(`${kind}:`)) {
    try {
      return decodeURIComponent(marker.slice(kind.length + 1));
    } catch {
      // fall through: not a marker we issued
    }
  }
  throw new InvalidMarkerException({ message: 'Invalid marker' });
}

export function byString(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
