import { describe, expect, it } from 'vitest';
import { fromSearch, isFiltered, localToIso, NO_FILTERS, toApiQuery, toSearch } from './filters.ts';

describe('audit filters in the address', () => {
  it('round-trip through the search string, leaving empty ones out', () => {
    const filters = { ...NO_FILTERS, actor: 'ada@example.com', action: 'user', from: '2030-01-02T03:04' };
    const search = toSearch(filters, 'MTIzOmFi');
    expect(search).toBe('?actor=ada%40example.com&action=user&from=2030-01-02T03%3A04&cursor=MTIzOmFi');
    expect(fromSearch(new URLSearchParams(search))).toEqual({ filters, cursor: 'MTIzOmFi' });
  });

  it('is empty for no filters and the first page', () => {
    expect(toSearch(NO_FILTERS)).toBe('');
    expect(fromSearch(new URLSearchParams('?sort=x'))).toEqual({ filters: NO_FILTERS, cursor: null });
    expect(isFiltered(NO_FILTERS)).toBe(false);
    expect(isFiltered({ ...NO_FILTERS, application: ' x ' })).toBe(true);
  });
});

describe('localToIso', () => {
  it('reads a datetime-local value in the local time zone', () => {
    expect(localToIso('2030-01-02T03:04')).toBe(new Date(2030, 0, 2, 3, 4).toISOString());
    expect(localToIso('2030-01-02T03:04:05')).toBe(new Date(2030, 0, 2, 3, 4, 5).toISOString());
  });
  it.each(['yesterday', '2030-01-02', '2030-13-02T03:04'])('passes %s through for the API to refuse', (value) => {
    expect(localToIso(value)).toBe(value);
  });
});

describe('toApiQuery', () => {
  it('sends set filters, instants for times, the cursor and the page size', () => {
    const query = toApiQuery({ ...NO_FILTERS, application: 'checkout', to: '2030-01-02T03:04', actor: '  ' }, 'abc', 50);
    expect(query).toEqual({ limit: '50', application: 'checkout', to: new Date(2030, 0, 2, 3, 4).toISOString(), cursor: 'abc' });
  });
});
