/**
 * CSV as the lab's trial log is written (RFC 4180): comma separated, fields with commas or quotes
 * quoted ("" inside is a quote), CRLF or LF line ends, an optional UTF-8 byte-order mark.
 */
export interface CsvRow {
  /** 1-based line number where the row starts (for messages: "episode_log.csv:114"). */
  line: number;
  fields: string[];
}

export function parseCsv(text: string): CsvRow[] {
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const rows: CsvRow[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  let i = 0;
  const endField = () => {
    fields.push(field);
    field = '';
  };
  const endRow = () => {
    endField();
    // A blank line is not a row.
    if (!(fields.length === 1 && fields[0] === '')) rows.push({ line: rowLine, fields });
    fields = [];
  };
  while (i < src.length) {
    const ch = src[i]!;
    if (quoted) {
      if (ch === '"') {
        if (src[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
      i++;
      continue;
    }
    if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') endField();
    else if (ch === '\r' && src[i + 1] === '\n') {
      endRow();
      i++;
      line++;
      rowLine = line;
    } else if (ch === '\n' || ch === '\r') {
      endRow();
      line++;
      rowLine = line;
    } else field += ch;
    i++;
  }
  if (field !== '' || fields.length) endRow();
  return rows;
}
