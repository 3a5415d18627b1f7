/**
 * Operator-only detail (versions, key fingerprints) is shown to callers that
 * present `Authorization: Bearer <ADMIN_TOKEN>`. Without ADMIN_TOKEN set,
 * nobody is an operator.
 */

export async function isOperator(request: Request, adminToken: string | undefined): Promise<boolean> {
  if (!adminToken) return false;
  const presented = /^Bearer (.+)$/.exec(request.headers.get("Authorization") ?? "")?.[1];
  if (presented === undefined) return false;
  // Compare digests so the comparison is constant-time and lengths always match.
  const [left, right] = await Promise.all([digest(presented), digest(adminToken)]);
  return crypto.subtle.timingSafeEqual(left, right);
}

function digest(text: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
}
