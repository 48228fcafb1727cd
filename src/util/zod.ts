import type { z } from 'zod';

/** "scenes[3].target.kind" from a zod path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out || '(root)';
}

/** A zod error as lines naming the file and the field, the way every input error in simgate reads. */
export function formatZodError(file: string, err: z.ZodError, what = 'scene suite'): string {
  const lines = err.issues.slice(0, 8).map((i) => `  ${file}: ${formatPath(i.path)}: ${i.message}`);
  if (err.issues.length > 8) lines.push(`  … and ${err.issues.length - 8} more`);
  return `Invalid ${what} ${file}:\n${lines.join('\n')}`;
}
