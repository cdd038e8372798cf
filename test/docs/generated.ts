import { readFileSync, writeFileSync } from 'node:fs';

/**
 * Checks that `page` holds `generated` between the two markers; with UPDATE_README=1 it writes it there instead
 * (`UPDATE_README=1 npx jest <the test that calls it>`): the docs' generated tables, English and Russian alike.
 */
export function expectGenerated(
  page: string,
  startMarker: string,
  endMarker: string,
  generated: string,
): void {
  const current = readFileSync(page, 'utf8');
  const start = current.indexOf(startMarker);
  const end = current.indexOf(endMarker);
  expect([start, end].every((at) => at >= 0)).toBe(true);
  const written = current.slice(start + startMarker.length, end).trim();
  if (process.env.UPDATE_README === '1' && written !== generated) {
    const updated = `${current.slice(0, start + startMarker.length)}\n\n${generated}\n\n${current.slice(end)}`;
    writeFileSync(page, updated);
    return;
  }
  expect(written).toBe(generated);
}
