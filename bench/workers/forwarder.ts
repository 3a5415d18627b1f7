/**
 * The bare forwarder: what a router costs when it does nothing but hand the
 * request to the media Worker. Our router is judged against it.
 *
 * The same forwarder as a `WorkerEntrypoint` class (the router's own shape)
 * shows what the class-based entrypoint costs per request by itself.
 */
import { WorkerEntrypoint } from "cloudflare:workers";

interface ForwarderEnv {
  MEDIA: Fetcher;
}

export default {
  fetch(request, env): Promise<Response> {
    return env.MEDIA.fetch(request);
  },
} satisfies ExportedHandler<ForwarderEnv>;

export class ForwarderEntrypoint extends WorkerEntrypoint<ForwarderEnv> {
  override fetch(request: Request): Promise<Response> {
    return this.env.MEDIA.fetch(request);
  }
}
