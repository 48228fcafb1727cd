import { readFileSync } from 'node:fs';
import { ConfigError } from './errors';

/** Read and parse a JSON file; unreadable or invalid → ConfigError naming the file (exit 2). */
export function readJsonFile(file: string, what: string, hint: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`Cannot read ${what} ${file}: ${(e as Error).message}`, hint);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`${file}: not valid JSON: ${(e as Error).message}`, hint);
  }
}
