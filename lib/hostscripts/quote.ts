// Shell quoting for every value a script builder puts into a script.

/** `it's` → `'it'\''s'`: safe as one word in any POSIX shell, whatever the value holds. */
export function shq(value: string | number): string {
    return `'${String(value).replace(/'/g, `'\\''`)}'`;
}
