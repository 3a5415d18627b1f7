/**
 * Settings parsed from a Worker's vars once per Env object (once per isolate
 * in practice), not on every request: vars are fixed for a deployed version.
 * A WeakMap, so an Env built for a test is parsed on its own.
 *
 * @example
 * export const deliverySettings = parsedPerEnv((env: MediaEnv) => ({ cacheMaxBytes: Number(env.CACHE_MAX_BYTES) }));
 */
export function parsedPerEnv<E extends object, S>(parse: (env: E) => S): (env: E) => S {
  const parsed = new WeakMap<E, S>();
  return (env) => {
    let settings = parsed.get(env);
    if (settings === undefined) {
      settings = parse(env);
      parsed.set(env, settings);
    }
    return settings;
  };
}

/** A numeric var: its number, or undefined when it is blank or not a finite number (the caller's default applies). */
export function numberSetting(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === "") return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}
