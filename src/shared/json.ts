/** The JSON value `text` holds, or the text itself when it is not JSON (a proxy's HTML error page, a model's prose). */
export function jsonOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
