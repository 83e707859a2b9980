// Response media-type negotiation (RestConfig.produces): the offered type a
// request's Accept header prefers. Each offer takes the q-value of the most
// specific Accept range that matches it (type/subtype over type/* over */*);
// the highest q wins, then the highest server weight, then the earlier offer.
// No Accept header (or a blank one) accepts everything; q=0 refuses.
import type { MediaTypeOffer } from '../frontend/model.js';

export interface Offer {
  /** Sent as given, parameters included. */
  contentType: string;
  /** Bare, lower-cased type and subtype. */
  type: string;
  subtype: string;
  quality: number;
}

export interface Negotiator {
  /** Every offer, in declaration order. */
  readonly offers: readonly Offer[];
  /** The content type to answer with, or undefined when the request accepts none of the offers. */
  negotiate(accept: string | readonly string[] | undefined): string | undefined;
  /** The best offer for a request that accepts everything: used when nothing is acceptable but a body must be sent. */
  readonly fallback: string;
}

export class OfferError extends Error {}

interface Range {
  type: string;
  subtype: string;
  q: number;
  /** 3 for type/subtype, 2 for type/*, 1 for *\/*. */
  specificity: number;
}

function parseOffer(offer: MediaTypeOffer, index: number): Offer {
  const contentType = (offer.content_type ?? '').trim();
  const bare = contentType.split(';')[0].trim().toLowerCase();
  const m = /^([a-z0-9!#$&^_.+-]+)\/([a-z0-9!#$&^_.+-]+)$/.exec(bare);
  if (!m) throw new OfferError(`produces[${index}].content_type: '${contentType}' is not a media type like application/json`);
  const quality = offer.quality || 1;
  if (!(quality > 0 && quality <= 1)) throw new OfferError(`produces[${index}].quality: ${offer.quality} is not in (0, 1]`);
  return { contentType, type: m[1], subtype: m[2], quality };
}

/** The media ranges of an Accept header; unparsable entries are skipped. */
export function parseAccept(header: string): Range[] {
  const ranges: Range[] = [];
  for (const entry of header.split(',')) {
    const [range, ...params] = entry.split(';');
    let text = range.trim().toLowerCase();
    if (text === '') continue;
    // Some clients send a bare '*'.
    if (text === '*') text = '*/*';
    const slash = text.indexOf('/');
    if (slash <= 0 || slash === text.length - 1) continue;
    const type = text.slice(0, slash);
    const subtype = text.slice(slash + 1);
    if (type === '*' && subtype !== '*') continue;
    let q = 1;
    for (const param of params) {
      const eq = param.indexOf('=');
      if (eq < 0 || param.slice(0, eq).trim().toLowerCase() !== 'q') continue;
      const value = Number(param.slice(eq + 1).trim());
      q = Number.isFinite(value) ? Math.min(Math.max(value, 0), 1) : 0;
    }
    const specificity = type === '*' ? 1 : subtype === '*' ? 2 : 3;
    ranges.push({ type, subtype, q, specificity });
  }
  return ranges;
}

/** The client's q for `offer`: that of the most specific matching range, -1 when none matches. */
function clientQuality(offer: Offer, ranges: readonly Range[]): number {
  let best = -1;
  let bestSpecificity = 0;
  for (const r of ranges) {
    const matches =
      r.specificity === 1 || (r.type === offer.type && (r.specificity === 2 || r.subtype === offer.subtype));
    if (!matches || r.specificity < bestSpecificity) continue;
    // Among equally specific ranges (a type listed twice), the higher q counts.
    best = r.specificity > bestSpecificity ? r.q : Math.max(best, r.q);
    bestSpecificity = r.specificity;
  }
  return best;
}

/** Accept headers seen often are answered from a small cache. */
const CACHE_LIMIT = 256;

export function compileNegotiator(offers: readonly MediaTypeOffer[]): Negotiator {
  if (offers.length === 0) throw new OfferError('produces: needs at least one media type');
  const parsed = offers.map(parseOffer);
  const choose = (ranges: readonly Range[]): string | undefined => {
    let chosen: Offer | undefined;
    let chosenQ = 0;
    for (const offer of parsed) {
      const q = clientQuality(offer, ranges);
      if (q <= 0) continue;
      if (chosen === undefined || q > chosenQ || (q === chosenQ && offer.quality > chosen.quality)) {
        chosen = offer;
        chosenQ = q;
      }
    }
    return chosen?.contentType;
  };
  const fallback = choose([{ type: '*', subtype: '*', q: 1, specificity: 1 }])!;
  const cache = new Map<string, string | null>();
  return {
    offers: parsed,
    fallback,
    negotiate(accept) {
      const header = typeof accept === 'string' ? accept : accept?.join(', ');
      if (header === undefined || header.trim() === '') return fallback;
      const hit = cache.get(header);
      if (hit !== undefined) return hit ?? undefined;
      const ranges = parseAccept(header);
      // A header with nothing parsable in it says nothing: treated as absent.
      const result = ranges.length === 0 ? fallback : choose(ranges);
      if (cache.size >= CACHE_LIMIT) cache.clear();
      cache.set(header, result ?? null);
      return result;
    },
  };
}
