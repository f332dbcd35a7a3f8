/** Values substituted into infra/local/kafka/server.properties. */
export interface ServerPropertiesVars {
  readonly HOST: string;
  readonly PORT: number;
  readonly CONTROLLER_PORT: number;
  readonly LOG_DIRS: string;
}

/**
 * Renders the broker config template. Pure, so a typo in the template (an unknown or missing
 * placeholder) fails a unit test instead of starting a broker with a literal `${...}` in it.
 */
export function renderServerProperties(template: string, vars: ServerPropertiesVars): string {
  const values: Record<string, string> = {
    HOST: vars.HOST,
    PORT: String(vars.PORT),
    CONTROLLER_PORT: String(vars.CONTROLLER_PORT),
    LOG_DIRS: vars.LOG_DIRS,
  };
  const unused = new Set(Object.keys(values));
  const rendered = template.replace(/\$\{([^}]*)\}/g, (_match, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`server.properties: unknown placeholder \${${name}}`);
    unused.delete(name);
    return value;
  });
  if (unused.size > 0) throw new Error(`server.properties: placeholder(s) never used: ${[...unused].join(', ')}`);
  for (const [name, value] of Object.entries(values)) {
    if (/[\r\n]/.test(value)) throw new Error(`server.properties: ${name} must be a single line`);
  }
  return rendered;
}

/** Parses `key=value` lines (comments and blanks skipped), enough to check a rendered config. */
export function parseProperties(text: string): Map<string, string> {
  const entries = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    entries.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  return entries;
}

/**
 * A Kafka cluster id: 16 random bytes, base64url without padding, as `StorageTool random-uuid`
 * prints (Kafka avoids ids starting with '-' because they read like CLI flags).
 */
export function kafkaClusterId(randomBytes: (n: number) => Buffer): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}
