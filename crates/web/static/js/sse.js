// Server-Sent Events from a fetch body. EventSource cannot POST, and a turn
// starts with a POST, so the stream is read here: blocks split by a blank line,
// `event:` and `data:` fields, comments (keep-alives) skipped.

// Yield each event's `data` parsed as JSON, with `type` set from `event:` when
// the data has none. Data that is not JSON is skipped.
export async function* readEvents(body) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      for (;;) {
        const end = /\r?\n\r?\n/.exec(buffer);
        if (!end) break;
        const event = parseBlock(buffer.slice(0, end.index));
        buffer = buffer.slice(end.index + end[0].length);
        if (event) yield event;
      }
    }
    const last = parseBlock(buffer);
    if (last) yield last;
  } finally {
    // Stops the download when the reader leaves early; harmless after the end.
    reader.cancel().catch(() => {});
  }
}

function parseBlock(block) {
  let type = null;
  const data = [];
  for (const line of block.split(/\r?\n/)) {
    if (line === "" || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") type = value;
    else if (field === "data") data.push(value);
  }
  if (data.length === 0) return null;
  let parsed;
  try {
    parsed = JSON.parse(data.join("\n"));
  } catch {
    return null;
  }
  if (typeof parsed !== "object" || parsed === null) return null;
  return parsed.type ? parsed : { ...parsed, type: type ?? "message" };
}
