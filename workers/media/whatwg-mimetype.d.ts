// @types/whatwg-mimetype documents toString() (the standard's serialization) in its examples but does not declare it.
import "whatwg-mimetype";

declare module "whatwg-mimetype" {
  interface MIMEType {
    /** The MIME type serialized as the WHATWG MIME Sniffing standard says (lower-case essence, parameters quoted as needed). */
    toString(): string;
  }
}
