/**
 * The markers of Pulumi's wire format for property values: an unknown value, and the signature key whose value says
 * that an object is a secret, a resource reference, an output value, an asset or an archive. They are the engine's
 * protocol, not the SDK's choice (sdk/go/common/resource/properties.go; the Node.js SDK copies them in
 * sdk/nodejs/runtime/rpc.ts), and test/plan.test.ts checks them against the installed SDK's exports. Copied here so
 * that reading a plan does not load the SDK's RPC module (about 0.3 s with its protobuf code).
 */
export const PULUMI_RPC_SIGNATURES = {
  unknownValue: "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
  specialSigKey: "4dabf18193072939515e22adb298388d",
  specialSecretSig: "1b47061264138c4ac30d75fd1eb44270",
  specialResourceSig: "5cf8f73096256a8f31e491e813e4eb8e",
  specialOutputValueSig: "d0e6a833031e9bbcd3f4e8bde6ca49a4",
  specialAssetSig: "c44067f5952c0a294b673a41bacd8c17",
  specialArchiveSig: "0def7320c3a5731c473e5ecbe6d01bc7",
} as const;
