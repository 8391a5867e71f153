/** One replacement decided for a match: text[start, end) becomes `replacement`. */
export interface Splice {
  start: number;
  end: number;
  replacement: string;
}

/**
 * Like `text.replace(pattern, …)`, for patterns whose match is only an anchor: the replacer may widen the
 * replaced range (a lookbehind-captured prefix, a value scanned by hand) or skip the match (undefined).
 * Splices must not overlap and must come in order; the scan resumes after each splice.
 * Returns `text` itself when nothing was replaced. `pattern` must be global.
 */
export function replaceMatches(
  text: string,
  pattern: RegExp,
  replacer: (match: RegExpExecArray) => Splice | undefined,
): string {
  pattern.lastIndex = 0;
  let out = "";
  let copied = 0;
  let replaced = false;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    if (match[0] === "") pattern.lastIndex++;
    const splice = replacer(match);
    if (!splice || splice.start < copied) continue;
    out += text.slice(copied, splice.start) + splice.replacement;
    copied = splice.end;
    replaced = true;
    if (pattern.lastIndex < splice.end) pattern.lastIndex = splice.end;
  }
  return replaced ? out + text.slice(copied) : text;
}
