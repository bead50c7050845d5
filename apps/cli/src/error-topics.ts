// Error events of one topic update one line (PROTOCOL.md §10.4: the bad
// chunks refused from one member in one download, each event with the count
// so far). A browser rewrites that line in place; a terminal or a log cannot,
// so the first event of a topic is the line and the later ones are not
// repeated (the group's rejected frames still count each). Events without a
// topic always pass.

/** Topics remembered; past this many the oldest is forgotten (a long-running archivist sees many downloads). */
const MAX_TOPICS = 1_000;

/** True when an error event of this topic should be shown: it has none, or it is the first of its topic. */
export function firstOfTopic(): (event: { readonly topic?: string }) => boolean {
  const seen = new Set<string>();
  return ({ topic }) => {
    if (topic === undefined) return true;
    if (seen.has(topic)) return false;
    seen.add(topic);
    if (seen.size > MAX_TOPICS) seen.delete(seen.values().next().value!);
    return true;
  };
}
