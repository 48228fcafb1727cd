import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from '../util/errors';

const H5 = /\.(h5|hdf5)$/i;

/**
 * The episode files named by the arguments: files as given, folders searched recursively for
 * *.h5 / *.hdf5 (sorted, so runs are reproducible). A path that does not exist is a usage error;
 * a folder without episodes too.
 */
export function expandEpisodeFiles(inputs: readonly string[]): string[] {
  if (!inputs.length) throw new ConfigError('No episode files given.', 'Pass HDF5 files or folders: simgate offline <files|dirs…> --policy <p>.');
  const out: string[] = [];
  for (const input of inputs) {
    if (!existsSync(input)) throw new ConfigError(`${input}: no such file or folder`, 'Pass HDF5 episode files or folders that hold them.');
    if (statSync(input).isDirectory()) {
      const found = walk(input);
      if (!found.length) throw new ConfigError(`${input}: no .h5/.hdf5 files in this folder (searched recursively)`, 'Point at the folder holding the episode files.');
      out.push(...found);
    } else out.push(input);
  }
  // The same file named twice (a folder and a file in it) is evaluated once.
  const seen = new Set<string>();
  return out.filter((f) => {
    const k = resolve(f);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) out.push(...walk(p));
    else if (H5.test(name)) out.push(p);
  }
  return out;
}
