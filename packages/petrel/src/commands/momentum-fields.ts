/** Momentum's console layout for counters: `  Name:` padded to one column, then the value. */
export function momentumFields(fields: readonly (readonly [string, string | number])[]): string {
  return fields.map(([k, v]) => `  ${`${k}:`.padEnd(34)}${v}\n`).join('');
}

/** A Momentum rate field: "51.76 messages/second". */
export function rate(count: number, seconds: number): string {
  return `${(count / seconds).toFixed(2)} messages/second`;
}
