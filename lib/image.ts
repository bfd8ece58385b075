/**
 * Container image references as registries parse them: the grammar of distribution/reference
 * (github.com/distribution/reference regexp.go, used by containerd and the kubelet), so a reference that a
 * registry or the kubelet would refuse is refused at plan time.
 */

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

/** A pattern's source without its ^ and $ anchors, to compose it into a larger pattern. */
export const unanchored = (pattern: RegExp) => pattern.source.replace(/^\^/, "").replace(/\$$/, "");

export const DIGEST_PATTERN = /^sha256:[a-f0-9]{64}$/;
/** reference.TagRegexp: `[\w][\w.-]{0,127}`. */
export const TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

export const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*$/;
export const DOMAIN = /^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?$/;
/** reference.NameTotalLengthMax */
const NAME_MAX_LENGTH = 255;

/**
 * Why a registry would refuse the repository part (`ghcr.io/acme/loader`), or undefined. The first component is a
 * registry host only when it has a '.' or ':' or is `localhost` (normalize.go splitDockerDomain); the path
 * components are lower case.
 */
export function repositoryProblem(repository: string): string | undefined {
  if (repository.length > NAME_MAX_LENGTH) return `expected a repository name of at most ${NAME_MAX_LENGTH} characters, got ${repository.length}`;
  const parts = repository.split("/");
  const hasDomain = parts.length > 1 && (/[.:]/.test(parts[0]) || parts[0] === "localhost");
  const domain = hasDomain ? parts[0] : undefined;
  const path = hasDomain ? parts.slice(1) : parts;
  if (domain !== undefined && !DOMAIN.test(domain)) return `expected a registry host such as ghcr.io or registry:5000, got ${JSON.stringify(domain)}`;
  const bad = path.find((component) => !PATH_COMPONENT.test(component));
  if (bad === undefined) return undefined;
  if (PATH_COMPONENT.test(bad.toLowerCase())) {
    const meant = [domain, ...path.map((c) => c.toLowerCase())].filter(Boolean).join("/");
    return `expected a lower-case repository (registries refuse upper case), got ${JSON.stringify(repository)}: did you mean ${meant}?`;
  }
  return `expected repository path components of lower-case letters and digits separated by '.', '_', '__' or '-', got ${JSON.stringify(bad)}`;
}
