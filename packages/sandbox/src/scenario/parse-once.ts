/**
 * Files parsed once per process: every sandbox a test process starts reads the same scenario and exec
 * rule files, and parsing them (YAML, then zod) costs more than the rest of a start. Keyed by path and
 * content, so a file edited between two starts is parsed again.
 */
import { readFileSync } from 'node:fs';

export function parsedOnce<T>(parse: (text: string, file: string) => Promise<T>): (file: string, notFound: () => Error) => Promise<T> {
  const parsed = new Map<string, Promise<T>>();
  return (file, notFound) => {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return Promise.reject(notFound());
    }
    const key = `${file}\0${text}`;
    let result = parsed.get(key);
    if (!result) {
      result = parse(text, file);
      parsed.set(key, result);
      // a file that does not parse is not remembered: the error is thrown again, the text not kept
      result.catch(() => parsed.delete(key));
    }
    return result;
  };
}

/** Freezes a parsed value all the way down, so no start can change what the next one reads. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
