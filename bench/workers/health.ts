/**
 * The bare health Worker: what `/_health` costs when a Worker does nothing
 * but call `health()` on the two Workers' `Control` entrypoints, bound as MEDIA
 * and API, over RPC, in
 * parallel, and answer their statuses as JSON. The router's /_health is
 * judged against it.
 */
interface WorkerControl extends Fetcher {
  health(): Promise<{ status: string }>;
}

interface BareHealthEnv {
  MEDIA: WorkerControl;
  API: WorkerControl;
}

export default {
  async fetch(_request, env): Promise<Response> {
    const [media, api] = await Promise.all([env.MEDIA.health(), env.API.health()]);
    return Response.json({ media: media.status, api: api.status });
  },
} satisfies ExportedHandler<BareHealthEnv>;
