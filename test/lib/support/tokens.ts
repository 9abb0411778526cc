/**
 * A CloudFormation string value (a literal or an `Fn::Join`) as text, each reference kept as
 * `<{"Ref":"..."}>`, so tests can read JSON that the stack builds with tokens in it.
 */
export function joinedText(value: unknown): string {
  const parts: unknown[] = typeof value === 'string' ? [value] : (value as any)['Fn::Join'][1];
  return parts.map((part) => (typeof part === 'string' ? part : `<${JSON.stringify(part)}>`)).join('');
}

/** Parses {@link joinedText} as JSON; references become `<{'Ref':'...'}>` inside the strings. */
export function parseJoinedJson(value: unknown): any {
  return JSON.parse(joinedText(value).replace(/<[^>]*>/g, (reference) => reference.replaceAll('"', "'")));
}
