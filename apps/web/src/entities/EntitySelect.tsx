import { NativeSelect } from '@mantine/core';
import type { EntityInScope } from './entity-access.ts';
import { orderAsTree } from './entity-tree.ts';

/** Indent of one tree level in an option label, because an option of a native select takes no styling. */
const LEVEL_INDENT = '\u00a0\u00a0\u00a0';

/**
 * Renders a native select of entities in tree order, indented by level, whose value
 * is the entity code. `allLabel` adds a first option with the empty value,
 * such as "All entities".
 */
export function EntitySelect({
  entities,
  value,
  onChange,
  label = 'Entity',
  allLabel,
  description,
  required = false,
}: {
  entities: readonly EntityInScope[];
  value: string;
  onChange: (code: string) => void;
  label?: string;
  allLabel?: string;
  description?: string;
  required?: boolean;
}) {
  const options = orderAsTree(entities).map(({ entity, level }) => ({
    value: entity.code,
    label: `${LEVEL_INDENT.repeat(level)}${entity.name} (${entity.code})`,
  }));
  return (
    <NativeSelect
      label={label}
      description={description}
      required={required}
      value={value}
      onChange={(event) => onChange(event.currentTarget.value)}
      data={allLabel === undefined ? options : [{ value: '', label: allLabel }, ...options]}
    />
  );
}
