// A real Worker that answers with what it received, bound to the router's test
// project in place of the api or media Worker, so a test sees exactly which
// method, URL and headers crossed the trust boundary. Like the real services,
// it answers with the request id it was passed (the router returns a service's
// response untouched).
export default {
  async fetch(request) {
    const body = request.body ? await request.text() : "";
    const received = {
      method: request.method,
      url: request.url,
      headers: Object.fromEntries(request.headers),
      bodyLength: body.length,
    };
    const requestId = request.headers.get("X-Request-Id");
    return Response.json(received, { headers: requestId === null ? {} : { "X-Request-Id": requestId } });
  },
};
