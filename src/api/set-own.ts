/**
 * `record[key] = value` for records whose keys are data (encryption contexts, constraints): a
 * plain assignment to "__proto__" sets the prototype instead and silently drops the pair.
 */
export function setOwn<T>(record: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
  else record[key] = value;
}
