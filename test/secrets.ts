/**
 * Throwaway secrets for the test Workers, in one place. The media token
 * secrets are the ones the independent PyJWT vectors were minted with
 * (test/fixtures/media-token-vectors.json, copied from the backend team).
 */
import vectors from "./fixtures/media-token-vectors.json" with { type: "json" };

export const TEST_SECRETS = {
  media: {
    MEDIA_TOKEN_SECRET_V1: vectors.secrets.MEDIA_TOKEN_SECRET_V1,
    MEDIA_TOKEN_SECRET_V2: vectors.secrets.MEDIA_TOKEN_SECRET_V2,
  },
  api: { BACKEND_AUTH_TOKEN: "test-backend-auth-token-0123456789" },
  router: { ADMIN_TOKEN: "test-admin-token-0123456789abcdef" },
} as const;
