/**
 * Operator-only detail (versions, key fingerprints) is shown to callers that
 * present `Authorization: Bearer <ADMIN_TOKEN>`. Without ADMIN_TOKEN set,
 * nobody is an operator.
 */
import { sha256 } from "../../shared/sha256";

export async function isOperator(request: Request, adminToken: string | undefined): Promise<boolean> {
  if (!adminToken) return false;
  const presented = /^Bearer (.+)$/.exec(request.headers.get("Authorization") ?? "")?.[1];
  if (presented === undefined) return false;
  // Compare digests so the comparison is constant-time and lengths always match.
  return crypto.subtle.timingSafeEqual(sha256(presented), sha256(adminToken));
}
