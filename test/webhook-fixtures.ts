/**
 * What the webhook sink (test/webhook-sink.ts, Node) and the upload tests
 * (workerd) share. No Node imports here: the Workers' test programs include this file.
 */

declare module "vitest" {
  interface ProvidedContext {
    /** http://127.0.0.1:<port> of the webhook sink the media Worker's upload webhook posts to (test/global-setup.ts). */
    webhookOrigin: string;
  }
}

/** One delivery attempt as the sink saw it. */
export interface RecordedDelivery {
  /** The status the sink answered. */
  answered: number;
  headers: Record<string, string>;
  body: string;
}
