// Query strings split and decoded exactly once, keeping repeated keys in
// order (URLSearchParams cannot report malformed escapes, so it is not used).

export class QueryDecodeError extends Error {}

function decodeComponent(text: string, plusAsSpace: boolean): string {
  const spaced = plusAsSpace && text.includes('+') ? text.replace(/\+/g, ' ') : text;
  if (!spaced.includes('%')) return spaced;
  try {
    return decodeURIComponent(spaced);
  } catch {
    throw new QueryDecodeError(`malformed percent-encoding in query: "${text}"`);
  }
}

/** [key, value] pairs; a token without '=' has the empty string as value. */
export function parseQueryString(raw: string, plusAsSpace: boolean): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  if (raw === '') return pairs;
  for (const token of raw.split('&')) {
    if (token === '') continue;
    const eq = token.indexOf('=');
    const key = decodeComponent(eq < 0 ? token : token.slice(0, eq), plusAsSpace);
    const value = eq < 0 ? '' : decodeComponent(token.slice(eq + 1), plusAsSpace);
    pairs.push([key, value]);
  }
  return pairs;
}
