import { Group, Pagination, Text } from '@mantine/core';
import { useState } from 'react';

export interface PageOf<T> {
  /** 1-based number of the page shown. */
  page: number;
  totalPages: number;
  items: readonly T[];
  /** Number of items on every page together. */
  totalItems: number;
  pageSize: number;
  setPage: (page: number) => void;
}

/**
 * Split `items` into pages of `pageSize` and keep the current page. When a
 * filter shortens the list below the current page, the last page shows.
 */
export function usePageOf<T>(items: readonly T[], pageSize: number): PageOf<T> {
  const [requestedPage, setPage] = useState(1);
  const totalPages = Math.max(1, Math.ceil(items.length / pageSize));
  const page = Math.min(requestedPage, totalPages);
  const start = (page - 1) * pageSize;
  return {
    page,
    totalPages,
    items: items.slice(start, start + pageSize),
    totalItems: items.length,
    pageSize,
    setPage,
  };
}

/** Renders page controls below a list, with "Showing 1–25 of 80 <noun>", or nothing for an empty list. */
export function ListPagination<T>({
  pageOf,
  noun,
  label,
}: {
  pageOf: PageOf<T>;
  /** Plural noun of the items, such as "datasets". */
  noun: string;
  /** Accessible name of the page navigation, such as "Pages of datasets". */
  label: string;
}) {
  if (pageOf.totalItems === 0) return null;
  const first = (pageOf.page - 1) * pageOf.pageSize + 1;
  const last = first + pageOf.items.length - 1;
  return (
    <Group justify="space-between">
      <Text size="sm" c="dimmed">
        Showing {first}–{last} of {pageOf.totalItems} {noun}
      </Text>
      {pageOf.totalPages > 1 && (
        <nav aria-label={label}>
          <Pagination
            total={pageOf.totalPages}
            value={pageOf.page}
            onChange={pageOf.setPage}
            size="sm"
            getControlProps={(control) => ({ 'aria-label': `${control} page` })}
          />
        </nav>
      )}
    </Group>
  );
}
