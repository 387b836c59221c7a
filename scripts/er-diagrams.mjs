// `pnpm db:diagrams`: writes docs/database.md, a Mermaid ER diagram per service generated from
// prisma/<service>/schema.prisma (tables, columns with their PostgreSQL types, keys, enums, relations).
//   node scripts/er-diagrams.mjs            write docs/database.md
//   node scripts/er-diagrams.mjs --stdout   print what would be written (the freshness test uses this)
//
// A small parser for the part of the Prisma schema language these schemas use (models, enums, scalar and
// relation fields, @id/@unique/@map/@db/@default/@relation, @@id/@@unique/@@index/@@map). Prisma's own
// getDMMF lives in @prisma/internals, a large extra dependency for this one page.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const SERVICES = ['customers', 'inventory', 'sales', 'reviews'];
const OUTPUT = path.join(root, 'docs/database.md');

const SCALAR_TYPES = {
  String: 'text',
  Int: 'integer',
  BigInt: 'bigint',
  Boolean: 'boolean',
  DateTime: 'timestamp(3)',
  Float: 'double',
  Decimal: 'decimal(65_30)',
  Json: 'jsonb',
  Bytes: 'bytea',
};

/** Splits the schema into blocks: { kind, name, doc, lines }. */
function blocks(source) {
  const result = [];
  const lines = source.split('\n');
  let doc = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    const header = /^(model|enum|view|type)\s+(\w+)\s*\{/.exec(line);
    if (line.startsWith('///')) {
      doc.push(line.slice(3).trim());
      continue;
    }
    if (!header) {
      if (line && !line.startsWith('//')) doc = [];
      continue;
    }
    const body = [];
    let depth = 1;
    for (i++; i < lines.length; i++) {
      depth += (lines[i].match(/\{/g) ?? []).length - (lines[i].match(/\}/g) ?? []).length;
      if (depth <= 0) break;
      body.push(lines[i]);
    }
    result.push({ kind: header[1], name: header[2], doc: doc.join(' '), lines: body });
    doc = [];
  }
  return result;
}

/** Attribute arguments: @relation(fields: [a, b], references: [id]) → the bracketed lists. */
const listArgument = (text, name) =>
  (new RegExp(`${name}\\s*:\\s*\\[([^\\]]*)\\]`).exec(text)?.[1] ?? '')
    .split(',')
    .map((part) => part.trim().replace(/\(.*$/, ''))
    .filter(Boolean);
const blockListArgument = (text) =>
  (/^@@\w+\(\s*(?:fields\s*:\s*)?\[([^\]]*)\]/.exec(text)?.[1] ?? '')
    .split(',')
    .map((part) => part.trim().replace(/\(.*$/, ''))
    .filter(Boolean);

function parseSchema(source) {
  const parsed = blocks(source);
  const enums = new Map(
    parsed
      .filter((block) => block.kind === 'enum')
      .map((block) => [
        block.name,
        block.lines
          .map((line) => line.trim())
          .filter((line) => line && !line.startsWith('//') && !line.startsWith('@@'))
          .map((line) => line.split(/\s+/)[0]),
      ]),
  );
  const models = parsed
    .filter((block) => block.kind === 'model')
    .map((block) => {
      const fields = [];
      const blockAttributes = [];
      let doc = [];
      for (const raw of block.lines) {
        const line = raw.trim();
        if (line.startsWith('///')) {
          doc.push(line.slice(3).trim());
          continue;
        }
        if (!line || line.startsWith('//')) continue;
        if (line.startsWith('@@')) {
          blockAttributes.push(line);
          doc = [];
          continue;
        }
        const match = /^(\w+)\s+(\w+)(\[\])?(\?)?\s*(.*)$/.exec(line);
        if (!match) continue;
        const [, name, type, list, optional, rest] = match;
        const attributes = rest.replace(/\s\/\/.*$/, '');
        fields.push({
          name,
          type,
          list: Boolean(list),
          optional: Boolean(optional),
          attributes,
          column: /@map\("([^"]+)"\)/.exec(attributes)?.[1] ?? name,
          dbType: /@db\.(\w+)(?:\(([^)]*)\))?/.exec(attributes),
          id: /@id\b/.test(attributes),
          unique: /@unique\b/.test(attributes),
          relation: /@relation\b/.test(attributes)
            ? { fields: listArgument(attributes, 'fields'), references: listArgument(attributes, 'references') }
            : undefined,
          doc: doc.join(' '),
        });
        doc = [];
      }
      const table = blockAttributes.map((a) => /^@@map\("([^"]+)"\)/.exec(a)?.[1]).find(Boolean) ?? block.name;
      const compositeId = blockAttributes.filter((a) => a.startsWith('@@id')).flatMap(blockListArgument);
      const uniques = blockAttributes.filter((a) => a.startsWith('@@unique')).map(blockListArgument);
      return { name: block.name, table, doc: block.doc, fields, compositeId, uniques };
    });
  return { enums, models };
}

function columnType(field, enums) {
  if (enums.has(field.type)) return field.type;
  if (field.dbType) {
    const [, type, args] = field.dbType;
    return `${type.toLowerCase()}${args ? `(${args.replace(/\s+/g, '').replace(/,/g, '_')})` : ''}`;
  }
  return SCALAR_TYPES[field.type] ?? field.type;
}

function diagram(service, { enums, models }) {
  const byName = new Map(models.map((model) => [model.name, model]));
  const out = ['```mermaid', 'erDiagram'];
  for (const model of models) {
    const foreignKeys = new Set(model.fields.flatMap((field) => field.relation?.fields ?? []));
    const uniqueSingles = new Set(model.uniques.filter((fields) => fields.length === 1).flat());
    out.push(`  ${model.table} {`);
    for (const field of model.fields) {
      if (!enums.has(field.type) && !SCALAR_TYPES[field.type]) continue; // relation field, not a column
      const keys = [];
      if (field.id || model.compositeId.includes(field.name)) keys.push('PK');
      if (foreignKeys.has(field.name)) keys.push('FK');
      if ((field.unique || uniqueSingles.has(field.name)) && !keys.includes('PK')) keys.push('UK');
      const notes = [];
      if (field.optional) notes.push('nullable');
      if (field.list) notes.push('array');
      if (enums.has(field.type)) notes.push(enums.get(field.type).join(' | '));
      const comment = notes.length ? ` "${notes.join('; ').replace(/"/g, "'")}"` : '';
      out.push(`    ${columnType(field, enums)}${field.list ? '[]' : ''} ${field.column}${keys.length ? ` ${keys.join(', ')}` : ''}${comment}`);
    }
    out.push('  }');
  }
  for (const model of models) {
    for (const field of model.fields) {
      if (!field.relation?.fields.length) continue;
      const parent = byName.get(field.type);
      if (!parent) continue;
      const back = parent.fields.find((other) => other.type === model.name);
      const parentEnd = field.optional ? '|o' : '||';
      const childEnd = back && !back.list ? 'o|' : 'o{';
      const columns = field.relation.fields.map((name) => model.fields.find((f) => f.name === name)?.column ?? name);
      out.push(`  ${parent.table} ${parentEnd}--${childEnd} ${model.table} : "${columns.join(', ')}"`);
    }
  }
  out.push('```');
  return out.join('\n');
}

function tableNotes({ models }) {
  return models.map((model) => `- \`${model.table}\`${model.doc ? ` — ${model.doc}` : ''}`).join('\n');
}

export function render() {
  const sections = SERVICES.filter((service) => fs.existsSync(path.join(root, 'prisma', service, 'schema.prisma'))).map((service) => {
    const schema = parseSchema(fs.readFileSync(path.join(root, 'prisma', service, 'schema.prisma'), 'utf8'));
    const body = schema.models.length ? `${tableNotes(schema)}\n\n${diagram(service, schema)}` : '_No tables yet._';
    return `## ${service}\n\nDatabase \`${service}\`, schema \`prisma/${service}/schema.prisma\`.\n\n${body}\n`;
  });
  return `# Databases

<!-- Generated by \`pnpm db:diagrams\` (scripts/er-diagrams.mjs) from prisma/*/schema.prisma. Do not edit:
     change the schema and regenerate; a test fails while this page is out of date. -->

Each service owns one PostgreSQL database and no service reads another's tables: facts that cross
services travel over HTTP and are copied where history needs them (a sale keeps the item's name and price).
Column types are PostgreSQL's; \`PK\` primary key, \`FK\` foreign key, \`UK\` unique. CHECK constraints and
partial indexes are hand-written in the migrations (\`prisma/<service>/migrations\`) and not shown here.

${sections.join('\n')}`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const text = render();
  if (process.argv.includes('--stdout')) {
    process.stdout.write(text);
  } else {
    fs.mkdirSync(path.dirname(OUTPUT), { recursive: true });
    fs.writeFileSync(OUTPUT, text);
    console.log(`wrote ${path.relative(root, OUTPUT)}`);
  }
}
