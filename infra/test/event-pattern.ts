// EventBridge's matching of an event against a rule's event pattern, as `aws events
// test-event-pattern` applies it (EventBridge User Guide, "Amazon EventBridge event patterns" and
// "Content filtering in Amazon EventBridge event patterns"), for the filters the suite's rules
// use and a few around them:
// - every field of the pattern must match (a nested object matches the event's object at that
//   key); `$or` holds alternatives, one of which must match as well;
// - a field's value is a list of what may match; an event value that is a list matches when any
//   of its elements does;
// - plain values match exactly (case-sensitive, `null` only null); `prefix`, `suffix`,
//   `equals-ignore-case`, `anything-but` (a value, a list, or a `prefix`) and `exists`;
// - a field missing from the event matches only `{"exists": false}`.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One filter of a field's list against one present, non-list event value. */
function valueMatches(filter: unknown, value: Json): boolean {
  if (!isObject(filter)) return filter === value;
  const [kind, operand] = Object.entries(filter)[0] ?? [];
  const text = typeof value === 'string' ? value : undefined;
  switch (kind) {
    case 'prefix':
      return text !== undefined && text.startsWith(String(operand));
    case 'suffix':
      return text !== undefined && text.endsWith(String(operand));
    case 'equals-ignore-case':
      return text !== undefined && text.toLowerCase() === String(operand).toLowerCase();
    case 'anything-but': {
      if (isObject(operand)) return !valueMatches(operand, value);
      const excluded = Array.isArray(operand) ? operand : [operand];
      return !excluded.some((x) => x === value);
    }
    case 'exists':
      return operand === true;
    default:
      throw new Error(`filter ${JSON.stringify(filter)} is not one this matcher knows`);
  }
}

function fieldMatches(filters: unknown, value: Json | undefined): boolean {
  if (isObject(filters)) return isObject(value) && matches(filters, value);
  if (!Array.isArray(filters)) throw new Error(`a pattern field must be a list or an object, not ${JSON.stringify(filters)}`);
  if (value === undefined) return filters.some((f) => isObject(f) && f.exists === false);
  const values = Array.isArray(value) ? value : [value];
  return filters.some((filter) => !(isObject(filter) && filter.exists === false) && values.some((v) => valueMatches(filter, v)));
}

/** Whether `event` matches `pattern` (an object at the pattern's level). */
export function matches(pattern: Record<string, unknown>, event: unknown): boolean {
  if (!isObject(event)) return false;
  return Object.entries(pattern).every(([key, filters]) => {
    if (key === '$or') {
      if (!Array.isArray(filters)) throw new Error('$or must be a list of patterns');
      return filters.some((alternative) => isObject(alternative) && matches(alternative, event));
    }
    return fieldMatches(filters, event[key] as Json | undefined);
  });
}
