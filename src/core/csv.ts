/** One CSV field as RFC 4180 writes it: quoted (quotes doubled) when it holds a comma, a quote or a line break. */
export function csvCell(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value
}

/** One CSV line (without its line break). */
export const csvLine = (cells: string[]): string => cells.map(csvCell).join(',')
