import type { Assignee } from './exceptions-api.ts';

/**
 * Return the users who appear in every list, in the order of the first,
 * so one assignee fits exceptions of several entities. The server checks
 * each exception's entity again when it assigns them.
 */
export function commonAssignees(lists: readonly (readonly Assignee[])[]): Assignee[] {
  const [first, ...rest] = lists;
  if (first === undefined) return [];

  const others = rest.map((list) => new Set(list.map((assignee) => assignee.id)));
  return first.filter((assignee) => others.every((ids) => ids.has(assignee.id)));
}

/** Return the option label of an assignee: the display name and, where it differs, the email. */
export function assigneeLabel(assignee: Assignee): string {
  return assignee.displayName === assignee.email
    ? assignee.email
    : `${assignee.displayName} (${assignee.email})`;
}
