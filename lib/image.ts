/** A container image reference split into its parts: `registry/repo[:tag][@sha256:digest]`. */
export interface ImageReference {
  repository: string;
  tag?: string;
  digest?: string;
}

export function parseImage(image: string): ImageReference {
  const [nameAndTag, digest] = image.split("@", 2);
  const lastColon = nameAndTag.lastIndexOf(":");
  // A colon before the last slash belongs to a registry port (`registry:5000/repo`), not to a tag.
  const hasTag = lastColon > nameAndTag.lastIndexOf("/");
  return {
    repository: hasTag ? nameAndTag.slice(0, lastColon) : nameAndTag,
    tag: hasTag ? nameAndTag.slice(lastColon + 1) : undefined,
    digest,
  };
}

export const DIGEST_PATTERN = /^sha256:[a-f0-9]{64}$/;
export const TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
