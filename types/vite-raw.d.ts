// Vite (under vitest) imports a file's text with the `?raw` suffix; tests use it
// to read the wrangler configs they check against the route table.
declare module "*?raw" {
  const text: string;
  export default text;
}
