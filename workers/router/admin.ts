/**
 * Operator-only detail (versions, key fingerprints) is shown to callers that
 * present `Authorization: Bearer <ADMIN_TOKEN>`. Without ADMIN_TOKEN set,
 * nobody is an operator.
 */

const encoder = new TextEncoder();

export async function isOperator(request: Request, adminToken: string | undefined): Promise<boolean> {
  if (!adminToken) return false;
  const presented = /^Bearer (.+)$/.exec(request.headers.get("Authorization") ?? "")?.[1];
  if (presented === undefined) return false;
  // Compare digests so the comparison is constant-time and lengths always match.
  const [a, b] = await Promise.all([digest(presented), digest(adminToken)]);
  return crypto.subtle.timingSafeEqual(a, b);
}

async function digest(value: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest("SHA-256", encoder.encode(value));
}
