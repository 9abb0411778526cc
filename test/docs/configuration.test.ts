import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SETTINGS, type Setting, type SettingType } from '../../lambda/settings';
import { LOCAL_SETTINGS } from '../../local/options';

const DOC = join(__dirname, '..', '..', 'docs', 'configuration.md');

/** Set to rewrite the doc's tables from the settings instead of comparing them. */
const UPDATE = process.env.UPDATE_DOCS === '1';

const code = (text: string) => `\`${text}\``;

/** A type as the reference shows it: `integer 1–10`, `number > 0, ≤ 100`, `jwt, iam, none` … */
function typeCell(type: SettingType, unit: string | undefined): string {
  const per = unit === undefined ? '' : ` (${unit})`;
  switch (type.kind) {
    case 'integer': {
      const { min, max } = type;
      const bounds =
        min !== undefined && max !== undefined
          ? ` ${min}–${max}`
          : min !== undefined
            ? ` ≥ ${min}`
            : max !== undefined
              ? ` ≤ ${max}`
              : '';
      return `integer${bounds}${per}`;
    }
    case 'number':
      return `number > ${type.above}${type.max !== undefined ? `, ≤ ${type.max}` : ''}${per}`;
    case 'boolean':
      return '`true`, `false`';
    case 'enum':
      return type.values.map(code).join(', ');
    case 'list':
      return 'comma-separated list';
    case 'json':
      return 'JSON';
    case 'string':
      return 'text';
  }
}

function defaultCell(setting: Setting): string {
  if (setting.resource) return 'set by the stack';
  if (setting.required) return 'required';
  return setting.default === undefined ? '—' : code(String(setting.default));
}

/** The reference table of `settings`: one row per setting, in the table's order. */
function table(settings: Record<string, Setting>): string {
  const rows = Object.entries(settings).map(([name, setting]) =>
    [
      code(name),
      setting.context !== undefined ? code(setting.context) : '—',
      setting.env !== undefined ? code(setting.env) : '—',
      typeCell(setting.type, setting.unit),
      defaultCell(setting),
      setting.doc.replaceAll('|', '\\|'),
    ].join(' | '),
  );
  return [
    '| setting | context key | environment variable | type | default | what it does |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows.map((row) => `| ${row} |`),
  ].join('\n');
}

/** The doc's text between `<!-- <name>:begin -->` and `<!-- <name>:end -->`. */
function section(doc: string, name: string): { start: number; end: number; text: string } {
  const begin = `<!-- ${name}:begin -->\n`;
  const start = doc.indexOf(begin) + begin.length;
  const end = doc.indexOf(`<!-- ${name}:end -->`);
  if (start < begin.length || end < start) throw new Error(`docs/configuration.md has no ${name} section`);
  return { start, end, text: doc.slice(start, end).trim() };
}

describe('docs/configuration.md', () => {
  const tables: [string, string][] = [
    ['settings', table(SETTINGS)],
    ['local-settings', table(LOCAL_SETTINGS)],
  ];

  it.each(tables)(
    'lists the %s table as the settings declare it (UPDATE_DOCS=1 rewrites it)',
    (name, expected) => {
      const doc = readFileSync(DOC, 'utf8');
      const { start, end, text } = section(doc, name);
      if (UPDATE && text !== expected)
        writeFileSync(DOC, `${doc.slice(0, start)}${expected}\n${doc.slice(end)}`);

      expect(section(readFileSync(DOC, 'utf8'), name).text).toEqual(expected);
    },
  );
});
