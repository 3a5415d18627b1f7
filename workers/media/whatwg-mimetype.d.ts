// The parser alone: the package's index also loads its byte-sniffing tables (24 KB evaluated at startup), which media never uses.
declare module "whatwg-mimetype/lib/mime-type.js" {
  import type { MIMEType as DeclaredMIMEType } from "whatwg-mimetype";

  /** @types/whatwg-mimetype documents toString() (the standard's serialization) in its examples but does not declare it. */
  interface MIMEType extends DeclaredMIMEType {
    /** The MIME type serialized as WHATWG MIME Sniffing says (lower-case essence, parameters quoted as needed). */
    toString(): string;
  }
  const MIMEType: { parse(input: string): MIMEType | null };
  export default MIMEType;
}
