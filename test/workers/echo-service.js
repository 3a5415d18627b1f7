// A real Worker that answers with what it received, bound to the router's test
// project in place of the api or media Worker, so a test sees exactly which
// method, URL and headers crossed the trust boundary.
export default {
  async fetch(request) {
    const body = request.body ? await request.text() : "";
    return Response.json({
      method: request.method,
      url: request.url,
      headers: Object.fromEntries(request.headers),
      bodyLength: body.length,
    });
  },
};
