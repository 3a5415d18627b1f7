/**
 * The bare forwarder: what a router costs when it does nothing but hand the
 * request to the Worker bound as MEDIA (the media Worker, the floor, the api
 * Worker or the bare fetch Worker). Our router is judged against it.
 */

interface ForwarderEnv {
  MEDIA: Fetcher;
}

export default {
  fetch(request, env): Promise<Response> {
    return env.MEDIA.fetch(request);
  },
} satisfies ExportedHandler<ForwarderEnv>;
