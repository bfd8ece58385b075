/**
 * A value as the Pulumi engine receives it, made readable. Kept apart from the offline runner so that reading a
 * cached plan (the tests, the diff of two JSON plans) loads no Pulumi SDK.
 */
import { PULUMI_RPC_SIGNATURES } from "./rpcSignatures";

export const UNKNOWN = "[unknown]";
export const SECRET = "[secret]";

const { unknownValue, specialSigKey, specialSecretSig, specialResourceSig, specialOutputValueSig, specialAssetSig, specialArchiveSig } = PULUMI_RPC_SIGNATURES;

/**
 * A value as the engine sees it, made readable: unknowns as "[unknown]", secrets as "[secret]" (or their value
 * with `revealSecrets`), resource references as their URN.
 */
export function present(value: unknown, revealSecrets = false): unknown {
  if (value === unknownValue) return UNKNOWN;
  if (Array.isArray(value)) return value.map((item) => present(item, revealSecrets));
  if (!value || typeof value !== "object") return value;
  const record = value as Record<string, unknown>;
  switch (record[specialSigKey]) {
    case specialSecretSig:
      return revealSecrets ? present(record.value, revealSecrets) : SECRET;
    case specialResourceSig:
      return record.urn;
    case specialOutputValueSig:
      if (record.secret && !revealSecrets) return SECRET;
      return "value" in record ? present(record.value, revealSecrets) : UNKNOWN;
    case specialAssetSig:
    case specialArchiveSig:
      return "[asset]";
    default:
      return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, present(v, revealSecrets)]));
  }
}
